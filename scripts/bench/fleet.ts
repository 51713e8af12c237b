import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { ROOT } from "../tooling";
import { benchCli, progress, type BenchCli } from "./cli";
import { sampleTree, type CpuSplit } from "./cpu";

/**
 * Issue 22 item 4, the fleet's half: S stacks of T tokens each, run side by side by the fleet
 * runner (examples/fleet, Automation API, the plain CLI underneath), against one stack of S × T
 * tokens run by the same runner; wall and CPU time of `up` (every token created) and of `drift`
 * (a refresh and a preview with nothing to change). Each CommServe is an emulator answering every
 * request `latencyMs` late. Opt-in and slow at its default size (10 × 200 against 1 × 2,000):
 *
 *   npx ts-node --transpile-only scripts/bench/fleet.ts            # BENCH_FLEET=10x200, --parallel 4
 *   BENCH_FLEET=2x10 BENCH_FLEET_PARALLEL=2 npx ts-node --transpile-only scripts/bench/fleet.ts   # a smoke run
 *
 * Prints a Markdown table on stdout; progress on stderr.
 */
const [STACKS, TOKENS] = (process.env.BENCH_FLEET ?? "10x200").split("x").map(Number) as [number, number];
const PARALLEL = Number(process.env.BENCH_FLEET_PARALLEL ?? 4);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 25);
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");

interface Timed {
  ms: number;
  cpu?: CpuSplit;
  stdout: string;
}

/** The runner on a fleet folder, timed, its process tree's CPU sampled; fails unless it exits `expect`. */
function runner(b: BenchCli, dir: string, args: string[], expect: number): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    let sampler: ReturnType<typeof sampleTree> | undefined;
    const child = execFile("node", ["-r", TS_NODE, "fleet.ts", ...args], { cwd: dir, env: b.cli.env, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const cpu = sampler?.stop();
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      if (code !== expect) reject(new Error(`fleet.ts ${args.join(" ")} exited ${code}, not ${expect}\n${stdout.slice(-4000)}\n${stderr.slice(-2000)}`));
      else resolve({ ms, cpu, stdout });
    });
    if (child.pid !== undefined) sampler = sampleTree(child.pid);
  });
}

/** A fleet folder of `stacks` CommServes (emulators) of `tokens` tokens each. */
async function layout(b: BenchCli, name: string, stacks: number, tokens: number): Promise<{ dir: string; servers: RunningEmulator[] }> {
  if (!fs.existsSync(path.join(b.modules, "yaml"))) fs.symlinkSync(path.join(ROOT, "node_modules", "yaml"), path.join(b.modules, "yaml"), "dir");
  const dir = fs.mkdtempSync(path.join(path.dirname(b.backend), `${name}-`));
  fs.cpSync(path.join(ROOT, "examples", "fleet"), dir, { recursive: true, filter: (src) => !/^Pulumi\.[^.]+\.yaml$|^node_modules$/.test(path.basename(src)) });
  fs.symlinkSync(b.modules, path.join(dir, "node_modules"), "dir");
  const servers: RunningEmulator[] = [];
  const data: Record<string, Record<string, object>> = {};
  for (let s = 0; s < stacks; s++) {
    const emu = await startEmulator({ control: true });
    if (LATENCY_MS > 0) emu.emulator.faults.add({ kind: "latency", delayMs: LATENCY_MS });
    servers.push(emu);
    const cs = `${name}${s}`;
    data[cs] = Object.fromEntries(
      Array.from({ length: tokens }, (_, k) => [`t${k}`, { name: `t${k}`, userName: k % 2 ? "svc-reporting" : "svc-backup", scope: "Custom", apiEndpoints: ["/job"], ipAllowlist: ["10.0.0.0/8"] }]),
    );
    const program = path.join(dir, "program");
    fs.writeFileSync(
      path.join(program, `Pulumi.${cs}.yaml`),
      stringify({ config: { "fleet:commserve": cs, "commvault:servers": { [cs]: { url: emu.url, username: "admin", password: "admin-password" } } } }),
    );
  }
  fs.writeFileSync(path.join(dir, "tokens.yaml"), stringify(data));
  return { dir, servers };
}

const sec = (ms: number) => (ms / 1000).toFixed(1);
const cpuCell = (c?: CpuSplit) => (c ? `${sec(c.total)} (engine ${sec(c.byRole.engine)}, program ${sec(c.byRole.program)}, provider ${sec(c.byRole.provider)}, other ${sec(c.byRole.other)})` : "n/a");

const mib = (kb: number) => (kb / 1024).toFixed(0);
const memCell = (c?: CpuSplit) => (c ? `engine ${mib(c.peakKb.engine)}, program ${mib(c.peakKb.program)}, provider ${mib(Math.max(c.peakKb.provider, c.peakKb.plugin))}` : "n/a");

async function main(): Promise<void> {
  const b = await benchCli();
  const rows: string[] = [];
  for (const [name, stacks, tokens] of [
    ["fleet", STACKS, TOKENS],
    ["one", 1, STACKS * TOKENS],
  ] as const) {
    progress(`${name}: ${stacks} stack(s) × ${tokens} tokens, ${Math.min(PARALLEL, stacks)} at a time`);
    const { dir, servers } = await layout(b, name, stacks, tokens);
    const up = await runner(b, dir, ["up", "--parallel", String(PARALLEL)], 0);
    const made = servers.reduce((n, s) => n + s.emulator.store.data.tokens.length, 0);
    if (made !== stacks * tokens) throw new Error(`${name}: the servers hold ${made} tokens after up, not ${stacks * tokens}`);
    const drift = await runner(b, dir, ["drift", "--parallel", String(PARALLEL)], 0);
    rows.push(`| ${stacks} × ${tokens} | up (create) | ${sec(up.ms)} | ${cpuCell(up.cpu)} | ${memCell(up.cpu)} |`, `| ${stacks} × ${tokens} | drift (refresh, preview) | ${sec(drift.ms)} | ${cpuCell(drift.cpu)} | ${memCell(drift.cpu)} |`);
    for (const s of servers) await s.close();
  }
  console.log(
    [
      `Fleet runner, ${STACKS} stacks × ${TOKENS} tokens (${Math.min(PARALLEL, STACKS)} at a time) against one stack of ${STACKS * TOKENS}; every request ${LATENCY_MS} ms late.`,
      "",
      "| Layout | Operation | Wall (s) | CPU (s), by process | Peak resident memory (MiB), the largest process of each kind |",
      "|---|---|---|---|---|",
      ...rows,
    ].join("\n"),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
