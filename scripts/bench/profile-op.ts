/**
 * Where the engine spends its CPU in one operation: creates N tokens for each variant, then runs
 * the operation once more with `pulumi --profiling` and prints `go tool pprof -top -cum` of the
 * engine beside the run's CPU split (engine, program, provider). For finding what an operation's
 * excess over the floor is made of (docs/benchmarks.md: the refresh preview). Needs Go.
 *
 *   BENCH_PROFILE_OP=refresh BENCH_SIZE=500 npx ts-node --transpile-only scripts/bench/profile-op.ts
 *   BENCH_VARIANTS=floor,ours,plugin BENCH_PROFILE_TOP=60 ...
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { NO_AMBIENT, benchCli, ok, progress, pulumi } from "./cli";
import { OPS, program, type Op, type Variant } from "./engine";

const op = (process.env.BENCH_PROFILE_OP ?? "refresh") as Exclude<Op, "create">;
const n = Number(process.env.BENCH_SIZE ?? 500);
const top = Number(process.env.BENCH_PROFILE_TOP ?? 40);
const variants = (process.env.BENCH_VARIANTS ?? "floor,ours,plugin").split(",") as Variant[];
if (!OPS.includes(op) || (op as Op) === "create") throw new Error(`BENCH_PROFILE_OP must be one of ${OPS.filter((o) => o !== "create").join(", ")}; got "${op}"`);
const ARGS: Record<Exclude<Op, "create">, string[]> = {
  preview: ["preview", "--expect-no-changes"],
  refresh: ["preview", "--refresh", "--expect-no-changes"],
  update: ["up", "--yes", "--skip-preview"],
  destroy: ["destroy", "--yes", "--skip-preview"],
};

async function main(): Promise<void> {
  const b = await benchCli({ withPlugin: variants.includes("plugin") });
  const pulumiBin = execFileSync("bash", ["-c", "command -v pulumi"], { env: b.cli.env, encoding: "utf8" }).trim();
  for (const variant of variants) {
    const project = `profile-${variant}`;
    const dir = b.cli.program({ "Pulumi.yaml": `name: ${project}\nruntime: nodejs\n`, "index.js": program(variant) });
    const emu = variant === "ours" || variant === "plugin" ? await startEmulator({ control: true }) : undefined;
    emu?.emulator.faults.add({ kind: "latency", delayMs: 25 });
    const env = variant === "plugin" ? NO_AMBIENT : {};
    const run = async (args: string[], what: string) => ok(await pulumi(b, dir, [...args, "--stack", "p"], env), `${variant} ${what}`);
    await run(["stack", "init"], "stack init");
    await run(["config", "set", "bench:count", String(n)], "config");
    if (emu) {
      await run(["config", "set", "commvault:url", emu.url], "config");
      await run(["config", "set", "commvault:username", "admin"], "config");
      await run(["config", "set", "--secret", "commvault:password", "admin-password"], "config");
    }
    await run(["up", "--yes", "--skip-preview"], "create");
    if (op === "update") await run(["config", "set", "bench:gen", "1"], "config");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-prof-"));
    const r = await run([...ARGS[op], "--profiling", path.join(out, "engine")], op);
    const cpu = r.cpu;
    const file = fs.readdirSync(out).find((f) => f.endsWith(".cpu"))!;
    const pprof = execFileSync("go", ["tool", "pprof", "-top", "-cum", `-nodecount=${top}`, pulumiBin, path.join(out, file)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20, env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` } });
    const split = cpu ? Object.entries(cpu.byRole).map(([role, ms]) => `${role} ${(ms / 1000).toFixed(1)} s`).join(", ") : "no CPU split";
    process.stdout.write(`\n## ${variant}: ${op} of N = ${n}, ${(r.ms / 1000).toFixed(1)} s wall; CPU ${split}\n\n${pprof}\n`);
    if (op !== "destroy") await run(["destroy", "--yes", "--skip-preview"], "destroy");
    await emu?.close();
    fs.rmSync(out, { recursive: true, force: true });
    progress(`${variant} profiled`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
