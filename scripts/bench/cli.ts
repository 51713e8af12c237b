import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { plainCli, type PlainCli } from "../../test/helpers/cli";
import { ROOT } from "../tooling";
import { sampleTree, type CpuSplit } from "./cpu";

/** The benchmark's view of the plain `pulumi` CLI: programs as a user writes them, runs bounded in time. */
export interface BenchCli {
  cli: PlainCli;
  /** The installed packages every program folder links to (node_modules). */
  modules: string;
  /** The backend's folder: state files live under `.pulumi/stacks/<project>/<stack>.json`. */
  backend: string;
  /** The plugin's version, when installed with `withPlugin`. */
  pluginVersion?: string;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** CPU time of the run's processes, by role (Linux). */
  cpu?: CpuSplit;
}

/** Progress for a person watching: stderr, so that stdout stays the report. */
export const progress = (s: string) => process.stderr.write(`bench: ${s}\n`);

/** Settings only the installed plugin: never the one linked beside the CLI, nor one on PATH. */
export const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };

/**
 * A plain CLI with the packed package installed (as `test/helpers/cli.ts` does for the tests),
 * the floor package beside it, and, with `withPlugin`, the plugin tarball installed by
 * `pulumi plugin install` as a user installs it.
 */
export async function benchCli(opts: { withPlugin?: boolean } = {}): Promise<BenchCli> {
  const cli = plainCli("bench-passphrase-not-a-secret");
  const probe = cli.program({});
  const modules = fs.realpathSync(path.join(probe, "node_modules"));
  fs.cpSync(path.join(__dirname, "floor"), path.join(modules, "bench-noop"), { recursive: true });
  const backend = new URL(cli.env.PULUMI_BACKEND_URL!).pathname;
  const out: BenchCli = { cli, modules, backend };
  if (opts.withPlugin) {
    const tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "plugin-"));
    progress("building the plugin tarball (npm run plugin:build)");
    const tarball = execFileSync("bash", [path.join(ROOT, "scripts/build-plugin.sh"), tmp], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    const r = await pulumi(out, tmp, ["plugin", "install", "resource", "commvault", version, "-f", tarball], NO_AMBIENT);
    if (r.code !== 0) throw new Error(`pulumi plugin install failed:\n${r.stdout}\n${r.stderr}`);
    out.pluginVersion = version;
  }
  return out;
}

/** `pulumi <args> --non-interactive` in `cwd`, timed; never throws on a non-zero exit; killed after `timeoutMs`. */
export function pulumi(b: BenchCli, cwd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 30 * 60_000): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let sampler: ReturnType<typeof sampleTree> | undefined;
    const child = execFile("pulumi", [...args, "--non-interactive"], { cwd, env: { ...b.cli.env, ...extraEnv }, maxBuffer: 256 << 20, timeout: timeoutMs, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const cpu = sampler?.stop();
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const code = !e ? 0 : typeof e.code === "number" ? e.code : e.killed ? 124 : 1;
      resolve({ code, stdout, stderr: e?.killed ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr, ms, cpu });
    });
    if (child.pid !== undefined) sampler = sampleTree(child.pid);
  });
}

/** Fails with the CLI's own output when a command did not exit 0. */
export function ok(r: Run, what: string): Run {
  if (r.code !== 0) throw new Error(`${what}: pulumi exited ${r.code}\n${tail(r.stdout)}\n${tail(r.stderr)}`);
  return r;
}

export const tail = (s: string, lines = 40) => s.split("\n").slice(-lines).join("\n");

/** The stack's state file as the local backend wrote it. */
export function stateOf(b: BenchCli, project: string, stack: string): { resources: { type: string; urn: string; outputs?: Record<string, unknown> }[]; bytes: number; text: string } {
  const text = fs.readFileSync(path.join(b.backend, ".pulumi", "stacks", project, `${stack}.json`), "utf8");
  const doc = JSON.parse(text) as { checkpoint: { latest?: { resources?: { type: string; urn: string; outputs?: Record<string, unknown> }[] } } };
  return { resources: doc.checkpoint.latest?.resources ?? [], bytes: Buffer.byteLength(text), text };
}
