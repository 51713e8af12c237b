import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ADMIN, type Harness } from "./emulator";
import type { CliResult, PlainCli } from "./cli";
import { ROOT } from "./pack";

/** examples/gitops and the PostgreSQL starter its pipeline uses: shared by the pipeline's e2e tests. */
export const EXAMPLE = path.join(ROOT, "examples", "gitops");
export const STARTER = path.join(ROOT, "scripts", "postgres.sh");

/** The example's files, as a checkout of the repository holds them (the folder is flat). */
export const exampleFiles = (): Record<string, string> =>
  Object.fromEntries(
    fs
      .readdirSync(EXAMPLE)
      .filter((f) => fs.statSync(path.join(EXAMPLE, f)).isFile())
      .map((f) => [f, fs.readFileSync(path.join(EXAMPLE, f), "utf8")]),
  );

/** Runs `bash pipeline.sh <stage>` in a checkout; never throws on a non-zero exit; bounded. */
export function pipeline(dir: string, stage: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile("bash", [path.join(dir, "pipeline.sh"), stage], { cwd: dir, env, maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export const out = (r: CliResult) => r.stdout + r.stderr;
export const mustPass = (r: CliResult) => {
  if (r.code !== 0) throw new Error(`pipeline exited ${r.code}\n${out(r)}`);
  return out(r);
};

/** What a pipeline run needs from its CI: the CLI, the passphrase, the CommServe and its administrator. */
export function pipelineEnv(cli: PlainCli, h: Harness, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...cli.env,
    COMMVAULT_URL: h.running.url,
    COMMVAULT_USERNAME: ADMIN.username,
    COMMVAULT_PASSWORD: ADMIN.password,
    POLICY_PACK: path.join(ROOT, "policy", "pack"),
    POSTGRES_SCRIPT: STARTER,
    ...extra,
  };
  // The helper's file backend is not the pipeline's: the pipeline's state is in PostgreSQL.
  if (!extra.PULUMI_BACKEND_URL) delete env.PULUMI_BACKEND_URL;
  return env;
}

/** A folder the postgres user can reach when the tests run as root; removed after the tests. */
export function postgresDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "cv-pg-"));
}
export const stopPostgres = (dir: string) => {
  execFileSync("bash", [STARTER, "stop", dir], { stdio: "ignore", timeout: 90_000 });
  fs.rmSync(dir, { recursive: true, force: true });
};

/** Starts a PostgreSQL server in `dir`, as a team's database would be running already; its backend URL and password. */
export function startPostgres(dir: string): { url: string; password: string; port: string } {
  const url = execFileSync("bash", [STARTER, "start", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 120_000 }).trim().split("\n").pop()!;
  return { url, password: fs.readFileSync(path.join(dir, "password"), "utf8"), port: /127\.0\.0\.1:(\d+)\//.exec(url)![1]! };
}

/** The newest PostgreSQL's bin folder from Debian's package, as scripts/postgres.sh picks it. */
export function pgBin(): string {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(a) - Number(b)) : [];
  if (!versions.length) throw new Error("Debian's postgresql package is not installed (apt-get install postgresql)");
  return path.join(base, versions[versions.length - 1]!, "bin");
}

/** Runs one SQL statement against the state database; its rows, one a line, fields split by `|`. */
export function sql(pg: { port: string; password: string }, statement: string): string {
  return execFileSync(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", pg.port, "-U", "pulumi", "-d", "pulumi", "-qtAX", "-c", statement], {
    env: { ...process.env, PGPASSWORD: pg.password },
    encoding: "utf8",
  }).trim();
}
