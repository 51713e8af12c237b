import * as fs from "node:fs";
import * as os from "node:os";

/**
 * CPU time of a command's process tree, by role, read from /proc (Linux only; elsewhere nothing is
 * measured). CPU time, unlike wall time, hardly moves with the load of other work on the machine,
 * so it shows where a run's time goes even when others run tests at the same time.
 */
export type Role = "engine" | "program" | "provider" | "plugin" | "other";

export interface CpuSplit {
  total: number;
  byRole: Record<Role, number>;
  /** The largest peak resident set (VmHWM, KiB) of any one process of each role, as last sampled. */
  peakKb: Record<Role, number>;
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on every Linux Pulumi supports.

/** What a process is, from its command line (arguments separated by NUL). */
function roleOf(cmdline: string): Role {
  const argv0 = cmdline.split("\0")[0] ?? "";
  if (/dynamic-provider/.test(cmdline)) return "provider";
  if (/pulumi-resource-commvault|dist\/plugin\/index\.js/.test(cmdline)) return "plugin";
  if (/cmd\/run\/index\.js|cmd\/run\b/.test(cmdline)) return "program";
  if (/(^|\/)pulumi$/.test(argv0)) return "engine";
  return "other";
}

interface Proc {
  ppid: number;
  ticks: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return undefined;
  }
}

/** A process's peak resident set so far (VmHWM, KiB): the kernel keeps the high-water mark, so a late sample still sees an earlier peak. */
function peakKbOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time of this process's waited-for children so far (ms), or undefined off Linux. */
export function childrenCpuMs(): number | undefined {
  if (os.platform() !== "linux") return undefined;
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/**
 * Samples the tree under `root` (a child of this process) every `everyMs` until stopped, after
 * the root was waited for. The total is exact (the children's CPU time the kernel reports); the
 * split by role is sampled, and what the samples missed (the last moments of each process) is
 * counted to the engine, the process that ends last.
 */
export function sampleTree(root: number, everyMs = 200): { stop(): CpuSplit | undefined } {
  if (os.platform() !== "linux") return { stop: () => undefined };
  const seen = new Map<number, { role: Role; ticks: number; peakKb: number }>();
  const before = childrenCpuMs()!;
  const tick = () => {
    let pids: number[];
    try {
      pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return;
    }
    const procs = new Map<number, Proc>();
    for (const pid of pids) {
      const p = readProc(pid);
      if (p) procs.set(pid, p);
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 32; p = procs.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
      return false;
    };
    for (const [pid, p] of procs) {
      if (!inTree(pid)) continue;
      const known = seen.get(pid);
      if (known) {
        known.ticks = p.ticks;
        known.peakKb = Math.max(known.peakKb, peakKbOf(pid));
      } else {
        let cmd = "";
        try {
          cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
        } catch {
          /* gone */
        }
        seen.set(pid, { role: roleOf(cmd), ticks: p.ticks, peakKb: peakKbOf(pid) });
      }
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const byRole: Record<Role, number> = { engine: 0, program: 0, provider: 0, plugin: 0, other: 0 };
      const peakKb: Record<Role, number> = { engine: 0, program: 0, provider: 0, plugin: 0, other: 0 };
      for (const { role, ticks, peakKb: kb } of seen.values()) {
        byRole[role] += ticks * TICK_MS;
        peakKb[role] = Math.max(peakKb[role], kb);
      }
      const sampled = Object.values(byRole).reduce((a, b) => a + b, 0);
      const total = Math.max(sampled, childrenCpuMs()! - before);
      byRole.engine += total - sampled;
      return { total, byRole, peakKb };
    },
  };
}
