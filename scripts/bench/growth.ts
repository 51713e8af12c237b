/**
 * Issue 22 item 2: how one stack grows. The engine benchmark (scripts/bench/engine.ts) at two
 * sizes, N = 500 and N = 2,000 by default, with the floor, ours and the plugin, and for every
 * operation the cost per token at each size, how it grows, and the peak resident memory of the
 * engine, the language host (the program) and the provider. Opt-in and slow (about an hour on 2
 * cores), never in CI:
 *
 *   npx ts-node --transpile-only scripts/bench/growth.ts                # 500,2000, 1 round
 *   BENCH_GROWTH_SIZES=50,200 npx ts-node --transpile-only scripts/bench/growth.ts   # a smoke run
 *
 * Prints Markdown on stdout (progress on stderr) and, at the default sizes, writes it into
 * docs/scale.md ("Growth of one stack") between the growth markers; the words around them are written by hand.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../tooling";
import { progress } from "./cli";
import type { CpuSplit, Role } from "./cpu";
import { OPS, OP_LABEL, best, engineBench, leastCpu, type EngineResult, type Measured, type Variant } from "./engine";

const DEFAULT_SIZES = "500,2000";
const sizesText = process.env.BENCH_GROWTH_SIZES ?? DEFAULT_SIZES;
const sizes = sizesText.split(",").map((s) => Number(s.trim()));
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 25);
const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const VARIANTS: Variant[] = ["floor", "ours", "plugin"];
const BEGIN = "<!-- growth:begin (scripts/bench/growth.ts writes what is between these lines) -->";
const END = "<!-- growth:end -->";

if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n < 1) || sizes[0]! >= sizes[1]!) {
  process.stderr.write(`growth: BENCH_GROWTH_SIZES must be two whole numbers, smaller first (such as ${DEFAULT_SIZES}); got "${sizesText}"\n`);
  process.exit(2);
}

const ms1 = (x: number) => x.toFixed(1);
const r2 = (x: number) => x.toFixed(2);
const mib = (kb: number) => `${Math.round(kb / 1024)}`;
/** The largest peak of a role over the rounds of one measurement. */
const peak = (m: Measured, roles: Role[]) => Math.max(0, ...m.cpu.filter((c): c is CpuSplit => c !== undefined).flatMap((c) => roles.map((r) => c.peakKb[r])));

function tables(engine: EngineResult): string[] {
  const [small, big] = [engine.sizes[0]!, engine.sizes[1]!];
  const L: string[] = [];
  L.push(
    `Wall and CPU time per token (ms), the least of ${rounds} round(s), at N = ${small.n} and N = ${big.n}; "growth" is the cost per token at ${big.n} over that at ${small.n} (1.00: linear in N).`,
    "",
    "| Operation | variant | wall / token, N = " + small.n + " | N = " + big.n + " | growth | CPU / token, N = " + small.n + " | N = " + big.n + " | growth |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const op of OPS) {
    for (const v of VARIANTS) {
      const [a, b] = [small.byVariant[v][op], big.byVariant[v][op]];
      const [wa, wb] = [best(a) / small.n, best(b) / big.n];
      const [ca, cb] = [(leastCpu(a)?.total ?? NaN) / small.n, (leastCpu(b)?.total ?? NaN) / big.n];
      L.push(`| ${OP_LABEL[op]} | ${v} | ${ms1(wa)} | ${ms1(wb)} | ${r2(wb / wa)} | ${ms1(ca)} | ${ms1(cb)} | ${r2(cb / ca)} |`);
    }
  }
  L.push("", `Wall time of each whole operation at N = ${big.n} (s): what a pipeline waits for.`, "", "| Operation | floor | ours | plugin |", "|---|---|---|---|");
  for (const op of OPS) L.push(`| ${OP_LABEL[op]} | ${VARIANTS.map((v) => (best(big.byVariant[v][op]) / 1000).toFixed(1)).join(" | ")} |`);
  L.push(
    "",
    "Peak resident memory (MiB; the kernel's high-water mark of each process, VmHWM): the engine (`pulumi`), the language host running the program (Node.js), and the provider (the dynamic provider's Node.js process, or the plugin).",
    "",
    `| Operation | variant | engine, N = ${small.n} | N = ${big.n} | program, N = ${small.n} | N = ${big.n} | provider, N = ${small.n} | N = ${big.n} |`,
    "|---|---|---|---|---|---|---|---|",
  );
  for (const op of OPS) {
    for (const v of VARIANTS) {
      const [a, b] = [small.byVariant[v][op], big.byVariant[v][op]];
      const cells = (["engine", "program"] as Role[]).flatMap((r) => [mib(peak(a, [r])), mib(peak(b, [r]))]);
      const prov = [mib(peak(a, ["provider", "plugin"])), mib(peak(b, ["provider", "plugin"]))];
      L.push(`| ${OP_LABEL[op]} | ${v} | ${[...cells, ...prov].join(" | ")} |`);
    }
  }
  L.push("", `State file per token: ${VARIANTS.map((v) => `${v} ${big.state[v]?.filePerResource ?? "–"} bytes`).join(", ")} (at N = ${big.n}).`);
  return L;
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = os.loadavg()[0]!;
  progress(`growth: sizes ${sizes.join(", ")}, ${rounds} round(s), ${latencyMs} ms latency, variants ${VARIANTS.join(", ")}`);
  const engine = await engineBench({ sizes, rounds, latencyMs, variants: VARIANTS, profile: false });
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const minutes = Math.round((Date.now() - started.getTime()) / 60_000);
  const text = [
    `Measured by \`scripts/bench/growth.ts\` on ${started.toISOString().slice(0, 10)} at commit ${commit}, in ${minutes} minutes: ${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? "cpu"}, the plain Pulumi CLI on a file backend, the emulator answering every request ${latencyMs} ms late.`,
    `Load average (1 min) ${load0.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end${Math.max(load0, os.loadavg()[0]!) > 2.5 ? " (on 2 cores, other work ran at the same time: wall times carry that noise, CPU times hardly)" : ""}.`,
    "",
    ...tables(engine),
  ].join("\n");
  process.stdout.write(`${text}\n`);
  if (sizesText !== DEFAULT_SIZES) {
    progress("resized run: docs/scale.md left as it was");
    return;
  }
  const page = path.join(ROOT, "docs/scale.md");
  const old = fs.readFileSync(page, "utf8");
  const [i, j] = [old.indexOf(BEGIN), old.indexOf(END)];
  if (i < 0 || j < i) throw new Error(`${page} has no growth markers (${BEGIN} … ${END})`);
  fs.writeFileSync(page, `${old.slice(0, i + BEGIN.length)}\n${text}\n${old.slice(j)}`);
  progress("wrote docs/scale.md");
}

main().catch((e: Error) => {
  process.stderr.write(`growth failed: ${e.stack}\n`);
  process.exit(1);
});
