import { spawn } from "node:child_process";
import * as fs from "node:fs";

/** Every process below `pid`, from /proc (Linux): Pulumi starts its plugins in process groups of their own. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // it ended while we listed
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
};

/**
 * SIGKILL to `pid` and every process below it, as a runner that kills the process tree, or a
 * machine that is lost, does to a run. The tree is frozen first (SIGSTOP), so that no process
 * starts another between the listing and the kill. Returns how many processes it killed.
 */
export function killTree(pid: number): number {
  const frozen = new Set<number>();
  for (;;) {
    const fresh = [pid, ...descendants(pid)].filter((p) => !frozen.has(p));
    if (!fresh.length) break;
    for (const p of fresh) {
      signal(p, "SIGSTOP");
      frozen.add(p);
    }
  }
  for (const p of frozen) signal(p, "SIGKILL");
  return frozen.size;
}

/** Whether a process has ended: no longer listed, or a zombie that its new parent has not reaped yet. */
export function gone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** killTree, then waits until every process of the tree has ended (a kill is not instant). */
export async function killTreeAndWait(pid: number): Promise<number> {
  const all = [pid, ...descendants(pid)];
  const n = killTree(pid);
  await waitFor(() => all.every(gone), "every killed process to end", 30_000);
  return n;
}

export interface Spawned {
  pid: number;
  /** Everything the command wrote so far, stdout and stderr interleaved. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command in a process group of its own, as a CI runner starts a job. */
export function spawnJob(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(command, args, { ...opts, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // "close", not "exit": the output is complete by then.
    child.on("close", (code, sig) => resolve({ code, signal: sig })),
  );
  return { pid: child.pid!, output: () => out, exited };
}

/** Waits until `cond` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
