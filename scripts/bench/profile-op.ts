/**
 * Where the engine spends its CPU in one operation: for each variant, creates N tokens and runs
 * the operation with `pulumi --profiling` (for `create`, profiles that create itself), and prints
 * `go tool pprof -top -cum` of the engine beside the run's CPU split (engine, program, provider).
 * For finding what an operation's excess over the floor is made of (docs/benchmarks.md). Needs Go.
 *
 *   BENCH_PROFILE_OP=refresh BENCH_SIZE=500 npx ts-node --transpile-only scripts/bench/profile-op.ts
 *   BENCH_VARIANTS=floor,ours,plugin BENCH_PROFILE_TOP=60 BENCH_PROFILE_KEEP=1 ...
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { NO_AMBIENT, benchCli, ok, progress, pulumi } from "./cli";
import { OPS, goTool, opArgs, pprofTop, program, setUp, type Op, type Slot, type Variant } from "./engine";

const op = (process.env.BENCH_PROFILE_OP ?? "refresh") as Op;
const n = Number(process.env.BENCH_SIZE ?? 500);
const top = Number(process.env.BENCH_PROFILE_TOP ?? 40);
const variants = (process.env.BENCH_VARIANTS ?? "floor,ours,plugin").split(",") as Variant[];
if (!OPS.includes(op)) throw new Error(`BENCH_PROFILE_OP must be one of ${OPS.join(", ")}; got "${op}"`);

async function main(): Promise<void> {
  const go = goTool();
  if (!go) throw new Error("profile-op needs Go for `go tool pprof` (Debian: golang, or /usr/local/go)");
  const b = await benchCli({ withPlugin: variants.includes("plugin") });
  for (const variant of variants) {
    const project = `profile-${variant}`;
    const slot: Slot = { variant, project, dir: b.cli.program({ "Pulumi.yaml": `name: ${project}\nruntime: nodejs\n`, "index.js": program(variant) }) };
    if (variant === "ours" || variant === "plugin") slot.emu = await startEmulator({ control: true });
    const env = variant === "plugin" ? NO_AMBIENT : {};
    const run = async (args: string[], what: string) => ok(await pulumi(b, slot.dir, args, env), `${variant} ${what}`);
    await setUp(b, slot, "p", n, 25);
    if (op !== "create") await run(await opArgs(b, slot, "create", "p"), "create");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-prof-"));
    const r = await run([...(await opArgs(b, slot, op, "p")), "--profiling", path.join(out, "engine")], op);
    const split = r.cpu ? Object.entries(r.cpu.byRole).map(([role, ms]) => `${role} ${(ms / 1000).toFixed(1)} s`).join(", ") : "no CPU split";
    process.stdout.write(`\n## ${variant}: ${op} of N = ${n}, ${(r.ms / 1000).toFixed(1)} s wall; CPU ${split}\n\n${pprofTop(b, go, out, top)}\n`);
    if (op !== "destroy") await run(await opArgs(b, slot, "destroy", "p"), "destroy");
    await slot.emu?.close();
    // BENCH_PROFILE_KEEP: leave the profiles for `go tool pprof -diff_base` between variants.
    if (process.env.BENCH_PROFILE_KEEP) progress(`${variant} profile kept in ${out}`);
    else fs.rmSync(out, { recursive: true, force: true });
    progress(`${variant} profiled`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
