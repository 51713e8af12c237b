import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { installPulumi, packAndInstall } from "../../scripts/tooling";

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PlainCli {
  env: NodeJS.ProcessEnv;
  /** Runs `pulumi <args> --non-interactive` in `cwd`; never throws on a non-zero exit. */
  pulumi(cwd: string, args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** A new program folder holding `files` (name → text) with the packed package installed beside it. */
  program(files: Record<string, string>): string;
}

/**
 * The plain `pulumi` CLI from the project's install script, with its own backend, home and
 * passphrase, and the packed package installed once (as a user installs it) for every program.
 * A missing CLI fails the test; it never skips it.
 */
export function plainCli(passphrase = "cli-test-passphrase"): PlainCli {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cv-cli-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(installPulumi(), "bin")}${path.delimiter}${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_HOME: path.join(tmp, "home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
  fs.mkdirSync(path.join(tmp, "state"));
  let modules: string | undefined;
  return {
    env,
    async pulumi(cwd, args, extraEnv = {}) {
      try {
        const r = await run("pulumi", [...args, "--non-interactive"], { cwd, env: { ...env, ...extraEnv }, maxBuffer: 64 << 20 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
      }
    },
    program(files) {
      if (!modules) {
        modules = path.join(tmp, "modules");
        packAndInstall(modules, { linkPulumi: true, quiet: true });
      }
      const dir = fs.mkdtempSync(path.join(tmp, "program-"));
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
      fs.symlinkSync(path.join(modules, "node_modules"), path.join(dir, "node_modules"), "dir");
      return dir;
    },
  };
}

/** Fails with the CLI's own output when a command did not exit 0. */
export function ok(r: CliResult): string {
  if (r.code !== 0) throw new Error(`pulumi exited ${r.code}\n${errorsFirst(r)}${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The lines that say why, ahead of the rest: with --debug the output runs to megabytes and a
 *  report that keeps only its head and tail would otherwise lose the error itself. */
function errorsFirst(r: CliResult): string {
  const why = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((line) => /\berror\b|Diagnostics:|failed|panic|refused/i.test(line) && !/log\.go:\d+\]|"level":"(INFO|DEBUG)"/.test(line))
    .slice(0, 40);
  return why.length ? `why (lines that say so, then the whole output):\n${why.join("\n")}\n---\n` : "";
}
