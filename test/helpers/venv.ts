import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./pack";

const run = promisify(execFile);

/**
 * The project's Python (.tools/venv, pinned packages from PyPI), made by scripts/python-env.sh,
 * which is cached: a second call costs nothing. Throws, so the test fails, when Python or the
 * environment cannot be had; it never skips.
 */
export async function projectPython(): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run("bash", [path.join(ROOT, "scripts/python-env.sh")], { cwd: ROOT, timeout: 600_000, maxBuffer: 16 << 20 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`scripts/python-env.sh failed, so this test cannot run Python (install python3 and python3-venv): ${err.stderr?.trim() || err.message}`);
  }
  const venv = stdout.trim().split("\n").at(-1)!;
  return path.join(venv, "bin", "python");
}

/**
 * Runs a Python script without blocking the event loop (an in-process emulator must keep
 * answering it), with `input` on its stdin. Resolves with its output whatever its exit code.
 */
export function runPython(
  python: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, timeout: 120_000, maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      const code = e ? (e as { code?: unknown }).code : 0;
      if (typeof code !== "number") return reject(e ?? new Error("python ended without an exit code"));
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? "");
  });
}
