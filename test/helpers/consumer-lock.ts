import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "./pack";

const STATE_PY = path.join(ROOT, "examples/token-consumer/python");

/**
 * A Python process that holds the token consumer's state-file lock as a run does (state.locked),
 * until it is killed: the stand-in for a run under way, or, killed, for a run that died.
 */
export function holdConsumerLock(python: string, stateFile: string): Promise<ChildProcess> {
  const script = "import sys, time; sys.path.insert(0, sys.argv[1]); from state import locked\nwith locked(sys.argv[2]):\n    print('held', flush=True); time.sleep(600)";
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-c", script, STATE_PY, stateFile], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the lock holder ended (exit ${code}) before it held the lock: ${err}`)));
    child.stdout.once("data", () => resolve(child));
  });
}

/** SIGKILL, as a crash or a container's end: nothing of the run's own code runs after it. */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}
