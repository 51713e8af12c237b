import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { NO_AMBIENT, benchCli, ok, progress, pulumi, stateOf, type BenchCli, type Run } from "./cli";
import type { CpuSplit } from "./cpu";
import { ROOT, packAndInstall } from "../tooling";

/**
 * The engine part of `npm run bench` (issue 11 item 1, issue 15 item 6): the plain Pulumi CLI
 * driving N tokens, against the floor (the same engine driving a no-op dynamic resource from an
 * installed package), and the provider plugin beside them. Runs alternate (each operation runs for
 * every variant before the next operation, in an order that rotates each round), the emulator
 * answers every request after `latencyMs`, and each time is the minimum over the rounds.
 */

export type Variant = "floor" | "shaped" | "plain" | "ours" | "plugin";
export const OPS = ["create", "preview", "refresh", "update", "destroy"] as const;
export type Op = (typeof OPS)[number];

export const OP_LABEL: Record<Op, string> = {
  create: "`up`: create N",
  preview: "`preview`, no change",
  refresh: "`preview --refresh`, no drift",
  update: "`up`: 10 % renamed",
  destroy: "`destroy`",
};

const TYPE: Record<Variant, string> = {
  floor: "pulumi-nodejs:dynamic/bench:Noop",
  shaped: "pulumi-nodejs:dynamic/bench:Shaped",
  plain: "pulumi-nodejs:dynamic/bench:Plain",
  ours: "pulumi-nodejs:dynamic/commvault:AccessToken",
  plugin: "commvault:index:AccessToken",
};

/** The same program for each variant; only the resource it makes differs. */
export function program(variant: Variant): string {
  const make = {
    floor: 'const { Noop } = require("bench-noop");\nconst make = (n, a) => new Noop(n, a);',
    shaped: 'const { Shaped } = require("bench-noop");\nconst make = (n, a) => new Shaped(n, a);',
    plain: 'const { Plain } = require("bench-noop");\nconst make = (n, a) => new Plain(n, a);',
    ours: 'const { AccessToken } = require("pulumi-commvault-tokens");\nconst make = (n, a) => new AccessToken(n, a);',
    plugin: 'const make = (n, a) => new pulumi.CustomResource("commvault:index:AccessToken", n, a);',
  }[variant];
  return `"use strict";
// Benchmark program (scripts/bench): bench:count tokens of two owners; with bench:gen 1, every
// bench:renameEvery-th token (default every tenth) is renamed.
const pulumi = require("@pulumi/pulumi");
${make}
const cfg = new pulumi.Config("bench");
const count = cfg.requireNumber("count");
const gen = cfg.getNumber("gen") || 0;
const every = cfg.getNumber("renameEvery") || 10;
const owners = ["svc-backup", "svc-reporting"];
for (let i = 0; i < count; i++) {
  const renamed = gen > 0 && i % every === 0;
  make(\`t\${i}\`, { name: \`bench-\${i}\${renamed ? "-v" + (gen + 1) : ""}\`, userName: owners[i % owners.length] });
}
`;
}

export interface Measured {
  /** Wall time of each round, ms. */
  ms: number[];
  /** CPU time of each round's processes (Linux). */
  cpu: (CpuSplit | undefined)[];
  /** Commvault API calls of the last round, by "METHOD /path". */
  calls: Record<string, number>;
}

/** Bytes of one resource's state, compact JSON: the whole entry, its top-level fields, and its outputs by key. */
export interface StateAnatomy {
  filePerResource: number;
  entry: number;
  fields: Record<string, number>;
  outputs: Record<string, number>;
}

export interface SizeResult {
  n: number;
  rounds: number;
  byVariant: Record<Variant, Record<Op, Measured>>;
  state: Record<Variant, StateAnatomy>;
  /**
   * Ours as the package at `before.ref` wrote it, after the same create (issue 22: bytes per token
   * before and after), with that create, a refresh preview and the destroy timed, once, after the rounds.
   */
  before?: { ref: string; state: StateAnatomy; runs: Partial<Record<Op, Measured>> };
  /** Load average (1 min) before and after this size. */
  load: [number, number];
}

/** The engine's own CPU profile of one `up` creating N (pulumi --profiling, read with go tool pprof). */
export interface EngineProfile {
  variant: Variant;
  n: number;
  /** CPU seconds the profile sampled, and within them saving the state file after each step, and the garbage collector. */
  sampledS: number;
  snapshotS: number;
  gcS: number;
}

export interface EngineOptions {
  sizes: number[];
  rounds: number;
  latencyMs: number;
  variants: Variant[];
  /** Also profile the engine during one extra create of the largest size (needs Go for `go tool pprof`). */
  profile?: boolean;
  /** A git commit whose package's state, after the same create, the report shows beside ours (BENCH_BEFORE; "" for none). */
  before?: string;
}

export interface EngineResult {
  sizes: SizeResult[];
  profiles: EngineProfile[];
  /** Why there is no profile, when there is none. */
  profileSkipped?: string;
}

export interface Slot {
  variant: Variant;
  dir: string;
  project: string;
  emu?: RunningEmulator;
}

function countCalls(emu: RunningEmulator | undefined, since: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of emu?.emulator.log ?? []) {
    if (e.seq <= since) continue;
    const key = `${e.method} ${e.path.replace(/\/\d+$/, "/<id>")}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
const lastSeq = (emu?: RunningEmulator) => emu?.emulator.log.at(-1)?.seq ?? 0;

function resetEmulator(emu: RunningEmulator, latencyMs: number): void {
  emu.emulator.reset();
  if (latencyMs > 0) emu.emulator.faults.add({ kind: "latency", delayMs: latencyMs });
}

/** What each operation must leave behind: a benchmark of a broken run measures nothing. */
function verify(slot: Slot, op: Op, n: number, run: Run, stack: string): void {
  ok(run, `${slot.variant} ${op} (N=${n}, stack ${stack})`);
  if (!slot.emu) return;
  const tokens = slot.emu.emulator.store.data.tokens;
  const want = op === "destroy" ? 0 : n;
  if (tokens.length !== want) throw new Error(`${slot.variant} ${op} (N=${n}): ${tokens.length} tokens on the server, expected ${want}`);
  if (op === "update") {
    const renamed = tokens.filter((t) => /-v2$/.test(t.tokenName)).length;
    if (renamed !== Math.ceil(n / 10)) throw new Error(`${slot.variant} update (N=${n}): ${renamed} tokens renamed, expected ${Math.ceil(n / 10)}`);
  }
}

/** The CLI arguments of one operation on `stack` (the update first sets the config it renames by). */
export async function opArgs(b: BenchCli, slot: Slot, op: Op, stack: string): Promise<string[]> {
  const s = ["--stack", stack];
  switch (op) {
    case "create":
      return ["up", "--yes", "--skip-preview", ...s];
    case "preview":
      return ["preview", "--expect-no-changes", ...s];
    case "refresh":
      return ["preview", "--refresh", "--expect-no-changes", ...s];
    case "update":
      ok(await pulumi(b, slot.dir, ["config", "set", "bench:gen", "1", ...s]), "config set bench:gen");
      return ["up", "--yes", "--skip-preview", ...s];
    case "destroy":
      return ["destroy", "--yes", "--skip-preview", ...s];
  }
}

function anatomy(b: BenchCli, slot: Slot, stack: string, n: number): StateAnatomy {
  const st = stateOf(b, slot.project, stack);
  const mine = st.resources.filter((r) => r.type === TYPE[slot.variant]);
  if (mine.length !== n) throw new Error(`${slot.project}: ${mine.length} resources in state, expected ${n}`);
  const fields: Record<string, number> = {};
  const outputs: Record<string, number> = {};
  const add = (into: Record<string, number>, k: string, v: unknown) => (into[k] = (into[k] ?? 0) + Buffer.byteLength(JSON.stringify({ [k]: v })) - 2 + 1);
  for (const r of mine) {
    for (const [k, v] of Object.entries(r)) add(fields, k, v);
    for (const [k, v] of Object.entries(r.outputs ?? {})) add(outputs, k, v);
  }
  const avg = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v / n)]));
  return {
    filePerResource: Math.round(st.bytes / n),
    entry: Math.round(mine.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)), 0) / n),
    fields: avg(fields),
    outputs: avg(outputs),
  };
}

export async function setUp(b: BenchCli, slot: Slot, stack: string, n: number, latencyMs: number): Promise<void> {
  if (slot.emu) resetEmulator(slot.emu, latencyMs);
  ok(await pulumi(b, slot.dir, ["stack", "init", stack]), `stack init ${slot.variant}`);
  const config: [string, string, boolean][] = [["bench:count", String(n), false], ["bench:gen", "0", false]];
  if (slot.emu) config.push(["commvault:url", slot.emu.url, false], ["commvault:username", "admin", false], ["commvault:password", "admin-password", true]);
  for (const [k, v, secret] of config) ok(await pulumi(b, slot.dir, ["config", "set", ...(secret ? ["--secret"] : []), k, v, "--stack", stack]), `config set ${k}`);
}

export function goTool(): string | undefined {
  for (const go of ["go", "/usr/local/go/bin/go"]) {
    try {
      execFileSync(go, ["version"], { stdio: "ignore" });
      return go;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Seconds of a `go tool pprof -top -cum` line whose function matches. */
function cumSeconds(top: string, fn: RegExp): number {
  const line = top.split("\n").find((l) => fn.test(l));
  const m = line?.trim().split(/\s+/)[3]?.match(/^([\d.]+)(ms|s)$/);
  return m ? Number(m[1]) / (m[2] === "ms" ? 1000 : 1) : 0;
}

/** `go tool pprof -top -cum` of the engine's CPU profile that `pulumi --profiling <dir>/engine` wrote. */
export function pprofTop(b: BenchCli, go: string, dir: string, nodes: number): string {
  const cpu = fs.readdirSync(dir).find((f) => f.endsWith(".cpu"))!;
  const pulumiBin = execFileSync("bash", ["-c", "command -v pulumi"], { env: b.cli.env, encoding: "utf8" }).trim();
  return execFileSync(go, ["tool", "pprof", "-top", "-cum", `-nodecount=${nodes}`, pulumiBin, path.join(dir, cpu)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
}

async function profileCreate(b: BenchCli, slot: Slot, n: number, latencyMs: number, go: string): Promise<EngineProfile> {
  const stack = `n${n}-profile`;
  await setUp(b, slot, stack, n, latencyMs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-prof-"));
  const run = await pulumi(b, slot.dir, ["up", "--yes", "--skip-preview", "--stack", stack, "--profiling", path.join(dir, "engine")], slot.variant === "plugin" ? NO_AMBIENT : {});
  verify(slot, "create", n, run, stack);
  const top = pprofTop(b, go, dir, 400);
  fs.rmSync(dir, { recursive: true, force: true });
  const total = top.match(/Total samples = ([\d.]+)(ms|s)/);
  const out: EngineProfile = {
    variant: slot.variant,
    n,
    sampledS: total ? Number(total[1]) / (total[2] === "ms" ? 1000 : 1) : 0,
    snapshotS: cumSeconds(top, /SnapshotManager\)\.saveSnapshot$/),
    gcS: cumSeconds(top, /runtime\.gcBgMarkWorker$/),
  };
  ok(await pulumi(b, slot.dir, ["destroy", "--yes", "--skip-preview", "--stack", stack], slot.variant === "plugin" ? NO_AMBIENT : {}), "destroy after profile");
  ok(await pulumi(b, slot.dir, ["stack", "rm", "--yes", "--stack", stack]), "stack rm");
  progress(`N=${n} profile: ${slot.variant.padEnd(6)} engine ${out.sampledS.toFixed(1)} s sampled, ${out.snapshotS.toFixed(1)} s saving state, ${out.gcS.toFixed(1)} s GC`);
  return out;
}

/**
 * A program folder with the package as it was at `ref` installed: `git archive` of that commit,
 * built and packed with this checkout's node_modules, in a modules folder of its own.
 */
function installAt(b: BenchCli, ref: string, project: string): string {
  const root = fs.mkdtempSync(path.join(path.dirname(b.backend), "before-"));
  const src = path.join(root, "src");
  fs.mkdirSync(src);
  execFileSync("bash", ["-c", 'git -C "$0" archive "$1" | tar -x -C "$2"', ROOT, ref, src], { stdio: ["ignore", "ignore", "inherit"] });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(src, "node_modules"), "dir");
  const modules = path.join(root, "modules");
  packAndInstall(modules, { linkPulumi: true, quiet: true, from: src });
  const dir = path.join(root, "program");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\ndescription: benchmark (ours at ${ref})\n`);
  fs.writeFileSync(path.join(dir, "index.js"), program("ours"));
  fs.symlinkSync(path.join(modules, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Ours as the package at `ref` writes it: one create of N (its state measured), a refresh preview and the destroy, timed. */
async function stateBefore(b: BenchCli, slot: Slot, n: number, latencyMs: number): Promise<{ state: StateAnatomy; runs: Partial<Record<Op, Measured>> }> {
  const stack = `n${n}-before`;
  await setUp(b, slot, stack, n, latencyMs);
  const runs: Partial<Record<Op, Measured>> = {};
  let state: StateAnatomy | undefined;
  for (const op of ["create", "refresh", "destroy"] as const) {
    const since = lastSeq(slot.emu);
    const run = await pulumi(b, slot.dir, await opArgs(b, slot, op, stack));
    verify(slot, op, n, run, stack);
    runs[op] = { ms: [run.ms], cpu: [run.cpu], calls: countCalls(slot.emu, since) };
    progress(`N=${n} before ${op.padEnd(8)} ${(run.ms / 1000).toFixed(1).padStart(6)} s${run.cpu ? `, CPU ${(run.cpu.total / 1000).toFixed(1)} s` : ""} (load ${os.loadavg()[0]!.toFixed(1)})`);
    if (op === "create") state = anatomy(b, slot, stack, n);
  }
  ok(await pulumi(b, slot.dir, ["stack", "rm", "--yes", "--stack", stack]), "stack rm before");
  progress(`N=${n} before (${slot.project}): ${state!.entry} bytes per token's entry, ${state!.filePerResource} per resource of the file`);
  return { state: state!, runs };
}

export async function engineBench(opts: EngineOptions): Promise<EngineResult> {
  const b = await benchCli({ withPlugin: opts.variants.includes("plugin") });
  const slots: Slot[] = [];
  for (const variant of opts.variants) {
    const project = `bench-${variant}`;
    const dir = b.cli.program({ "Pulumi.yaml": `name: ${project}\nruntime: nodejs\ndescription: benchmark (${variant})\n`, "index.js": program(variant) });
    const calls = variant === "ours" || variant === "plugin";
    slots.push({ variant, dir, project, emu: calls ? await startEmulator({ control: true }) : undefined });
  }
  let before: Slot | undefined;
  if (opts.before) {
    progress(`building the package at ${opts.before} (BENCH_BEFORE), for its state`);
    // The same project as ours (its own stack), so that urn, parent and provider weigh the same.
    const project = "bench-ours";
    before = { variant: "ours", dir: installAt(b, opts.before, project), project, emu: await startEmulator({ control: true }) };
  }
  const result: EngineResult = { sizes: [], profiles: [] };
  try {
    for (const n of opts.sizes) {
      const load0 = os.loadavg()[0]!;
      const byVariant = Object.fromEntries(opts.variants.map((v) => [v, Object.fromEntries(OPS.map((o) => [o, { ms: [], cpu: [], calls: {} }]))])) as unknown as SizeResult["byVariant"];
      const state = {} as SizeResult["state"];
      for (let round = 1; round <= opts.rounds; round++) {
        const stack = `n${n}-r${round}`;
        // Rotate the order each round, so that no variant always runs first.
        const order = slots.map((_, i) => slots[(i + round - 1) % slots.length]!);
        for (const slot of order) await setUp(b, slot, stack, n, opts.latencyMs);
        for (const op of OPS) {
          for (const slot of order) {
            const since = lastSeq(slot.emu);
            const run = await pulumi(b, slot.dir, await opArgs(b, slot, op, stack), slot.variant === "plugin" ? NO_AMBIENT : {});
            verify(slot, op, n, run, stack);
            const m = byVariant[slot.variant][op];
            m.ms.push(run.ms);
            m.cpu.push(run.cpu);
            m.calls = countCalls(slot.emu, since);
            const cpu = run.cpu ? `, CPU ${(run.cpu.total / 1000).toFixed(1)} s` : "";
            progress(`N=${n} round ${round}/${opts.rounds}: ${slot.variant.padEnd(6)} ${op.padEnd(8)} ${(run.ms / 1000).toFixed(1).padStart(6)} s${cpu}${slot.emu ? `, ${Object.values(m.calls).reduce((a, c) => a + c, 0)} API calls` : ""} (load ${os.loadavg()[0]!.toFixed(1)})`);
            if (op === "create") state[slot.variant] = anatomy(b, slot, stack, n);
          }
        }
        for (const slot of order) ok(await pulumi(b, slot.dir, ["stack", "rm", "--yes", "--stack", stack]), `stack rm ${slot.variant}`);
      }
      const was = before && opts.before ? { ref: opts.before, ...(await stateBefore(b, before, n, opts.latencyMs)) } : undefined;
      result.sizes.push({ n, rounds: opts.rounds, byVariant, state, before: was, load: [load0, os.loadavg()[0]!] });
    }
    if (opts.profile) {
      const go = goTool();
      if (!go) result.profileSkipped = "no Go toolchain on PATH for `go tool pprof`";
      else for (const slot of slots.filter((s) => s.variant !== "plugin")) result.profiles.push(await profileCreate(b, slot, Math.max(...opts.sizes), opts.latencyMs, go));
    }
  } finally {
    for (const s of [...slots, ...(before ? [before] : [])]) await s.emu?.close();
    fs.rmSync(path.dirname(b.backend), { recursive: true, force: true });
  }
  return result;
}

export const best = (m: Measured) => Math.min(...m.ms);
/** The CPU split of the round with the least CPU time. */
export const leastCpu = (m: Measured): CpuSplit | undefined =>
  m.cpu.filter((c): c is CpuSplit => c !== undefined).sort((a, b) => a.total - b.total)[0];
