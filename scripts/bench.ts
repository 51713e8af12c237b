/**
 * `npm run bench`: what the provider costs, through the plain Pulumi CLI against a no-op floor
 * (issue 11, issue 15 item 6), under faults (the soak at full size), with big lists, and called
 * directly. Numbers, not assertions: the tests assert behaviour. Progress goes to stderr; the
 * report to stdout and, after a full run, to docs/benchmarks.md.
 *
 *   npm run bench                         # all of it (about 40 minutes on 2 cores)
 *   npm run bench -- --quick              # a smoke run at small sizes; docs/benchmarks.md untouched
 *   BENCH_SIZES=100,500 BENCH_ROUNDS=2 BENCH_LATENCY_MS=25 BENCH_SOAK_TOKENS=100 npm run bench
 *   npm run bench -- --no-engine --no-soak  # the parts without the CLI
 *   BENCH_BEFORE=<commit> npm run bench   # whose state per token to show beside ours ("" for none)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../emulator";
import { benchCli, progress } from "./bench/cli";
import { engineBench, type EngineResult, type Variant } from "./bench/engine";
import { listCosts, type ListCost } from "./bench/lists";
import { clientBench, providerBench, type OpCost } from "./bench/provider";
import { report, type ProgramCost } from "./bench/report";
import { runSoak, type SoakReport } from "./bench/soak";
import { ROOT, installPulumi } from "./tooling";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const ALL_VARIANTS: Variant[] = ["floor", "shaped", "plain", "ours", "plugin"];
const variants = (process.env.BENCH_VARIANTS ?? ALL_VARIANTS.join(",")).split(",").map((v) => v.trim()) as Variant[];
// The report is ours against the floor: say so before minutes of runs, not after.
function refuse(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
for (const v of variants) if (!ALL_VARIANTS.includes(v)) refuse(`BENCH_VARIANTS: unknown variant "${v}"; use a comma-separated subset of ${ALL_VARIANTS.join(", ")}`);
if (!variants.includes("floor") || !variants.includes("ours")) refuse(`BENCH_VARIANTS must include floor and ours (the report divides ours by the floor); got "${variants.join(",")}"`);
/** A whole number from the environment, or the run stops with what was wrong. */
function whole(name: string, text: string, least = 1): number {
  const n = Number(text.trim());
  if (text.trim() === "" || !Number.isInteger(n) || n < least) refuse(`${name}: "${text}" is not a whole number of at least ${least}`);
  return n;
}
const num = (name: string, full: number, small: number, least = 1) => (process.env[name] === undefined ? (quick ? small : full) : whole(name, process.env[name]!, least));
const sizes = (process.env.BENCH_SIZES ?? (quick ? "20" : "100,500")).split(",").map((s) => whole("BENCH_SIZES", s));
const rounds = num("BENCH_ROUNDS", 2, 1);
const latencyMs = num("BENCH_LATENCY_MS", 25, 25, 0);
const soakTokens = num("BENCH_SOAK_TOKENS", 100, 10);
const parts = { engine: !argv.includes("--no-engine"), soak: !argv.includes("--no-soak"), profile: !argv.includes("--no-profile") && !quick };
// The commit whose state per token the report shows beside ours: main before issue 22 cut it.
const before = process.env.BENCH_BEFORE ?? (quick ? "" : "41cba33");
const full = !quick && parts.engine && parts.soak && parts.profile && !process.env.BENCH_SIZES && !process.env.BENCH_VARIANTS;

function programCost(n: number): ProgramCost[] {
  const out: ProgramCost[] = [];
  for (const variant of ["floor", "ours", "oursBefore"] as const) {
    progress(`program cost per resource: ${variant}`);
    const text = execFileSync(process.execPath, [path.join(ROOT, "node_modules/ts-node/dist/bin.js"), "--transpile-only", path.join(__dirname, "bench/program-cost.ts"), variant, String(n)], { cwd: ROOT, encoding: "utf8" });
    out.push(JSON.parse(text.trim().split("\n").pop()!) as ProgramCost);
  }
  return out;
}

async function soak(n: number): Promise<SoakReport> {
  const emu = await startEmulator({ control: true });
  try {
    return await runSoak({ n, cli: await benchCli(), emu, progress });
  } finally {
    await emu.close();
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const loads: number[] = [os.loadavg()[0]!];
  const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 10_000);
  sampler.unref();
  let cliVersion = "none";
  if (parts.engine || parts.soak) {
    const bin = path.join(installPulumi(), "bin", "pulumi");
    cliVersion = execFileSync(bin, ["version"], { encoding: "utf8" }).trim();
  }

  progress("client and provider, called directly");
  const client: OpCost = await clientBench();
  const direct: OpCost[] = await providerBench(100, 8, latencyMs);
  progress("allow lists and endpoint lists: cost per entry");
  const lists: ListCost[] = listCosts();
  const program = programCost(500);
  let engine: EngineResult | undefined;
  if (parts.engine) {
    progress(`engine: sizes ${sizes.join(", ")}, ${rounds} round(s), ${latencyMs} ms latency, variants ${variants.join(", ")}`);
    engine = await engineBench({ sizes, rounds, latencyMs, variants, profile: parts.profile, before });
  }
  let soakReport: SoakReport | undefined;
  if (parts.soak) {
    progress(`soak: ${soakTokens} tokens under transient faults`);
    soakReport = await soak(soakTokens);
  }
  clearInterval(sampler);
  loads.push(os.loadavg()[0]!);

  const pulumiSdk = (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  const text = report({
    started,
    minutes: (Date.now() - started.getTime()) / 60_000,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Pulumi CLI ${cliVersion}, @pulumi/pulumi ${pulumiSdk}`,
    loads,
    settings: { sizes, rounds, latencyMs, soakTokens },
    client,
    direct,
    lists,
    program,
    engine,
    soak: soakReport,
  });
  process.stdout.write(text);
  if (full) {
    fs.writeFileSync(path.join(ROOT, "docs/benchmarks.md"), text);
    progress("wrote docs/benchmarks.md");
  } else {
    progress("a partial or resized run: docs/benchmarks.md left as it was");
  }
  // A soak that did not converge is a failure of the product, whatever the report says of it.
  const unsettled = soakReport?.phases.filter((p) => p.mismatches.length > 0 || p.runs.at(-1)!.code !== 0) ?? [];
  if (unsettled.length) {
    progress(`soak did not converge (${unsettled.map((p) => p.phase).join(", ")}): exit 1`);
    process.exitCode = 1;
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
