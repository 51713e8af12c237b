import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../../emulator";
import { NO_AMBIENT, benchCli, ok, progress, pulumi, stateOf, type BenchCli, type Run } from "./cli";

/**
 * The engine part of `npm run bench` (issue 11 item 1, issue 15 item 6): the plain Pulumi CLI
 * driving N tokens, against the floor (the same engine driving a no-op dynamic resource from an
 * installed package), and the provider plugin beside them. Runs alternate (each operation runs for
 * every variant before the next operation, in an order that rotates each round), the emulator
 * answers every request after `latencyMs`, and each time is the minimum over the rounds.
 */

export type Variant = "floor" | "ours" | "plugin";
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
  ours: "pulumi-nodejs:dynamic/commvault:AccessToken",
  plugin: "commvault:index:AccessToken",
};

/** The same program for each variant; only the resource it makes differs. */
export function program(variant: Variant): string {
  const make = {
    floor: 'const { Noop } = require("bench-noop");\nconst make = (n, a) => new Noop(n, a);',
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
  /** Commvault API calls of the last round, by "METHOD /path". */
  calls: Record<string, number>;
}

export interface SizeResult {
  n: number;
  rounds: number;
  byVariant: Record<Variant, Record<Op, Measured>>;
  /** Bytes of the state file per resource after the create, and of one resource's entry (compact JSON). */
  stateBytes: Record<Variant, { filePerResource: number; entry: number }>;
  /** Load average (1 min) before and after this size. */
  load: [number, number];
}

export interface EngineOptions {
  sizes: number[];
  rounds: number;
  latencyMs: number;
  variants: Variant[];
}

interface Slot {
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

async function args(b: BenchCli, slot: Slot, op: Op, stack: string): Promise<string[]> {
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

export async function engineBench(opts: EngineOptions): Promise<SizeResult[]> {
  const b = await benchCli({ withPlugin: opts.variants.includes("plugin") });
  const slots: Slot[] = [];
  for (const variant of opts.variants) {
    const project = `bench-${variant}`;
    const dir = b.cli.program({ "Pulumi.yaml": `name: ${project}\nruntime: nodejs\ndescription: benchmark (${variant})\n`, "index.js": program(variant) });
    slots.push({ variant, dir, project, emu: variant === "floor" ? undefined : await startEmulator({ control: true }) });
  }
  const results: SizeResult[] = [];
  try {
    for (const n of opts.sizes) {
      const load0 = os.loadavg()[0]!;
      const byVariant = Object.fromEntries(opts.variants.map((v) => [v, Object.fromEntries(OPS.map((o) => [o, { ms: [], calls: {} }]))])) as unknown as SizeResult["byVariant"];
      const stateBytes = {} as SizeResult["stateBytes"];
      for (let round = 1; round <= opts.rounds; round++) {
        const stack = `n${n}-r${round}`;
        // Rotate the order each round, so that no variant always runs first (or after another's cleanup).
        const order = slots.map((_, i) => slots[(i + round - 1) % slots.length]!);
        for (const slot of order) {
          if (slot.emu) resetEmulator(slot.emu, opts.latencyMs);
          ok(await pulumi(b, slot.dir, ["stack", "init", stack]), `stack init ${slot.variant}`);
          const config: [string, string, boolean][] = [["bench:count", String(n), false], ["bench:gen", "0", false]];
          if (slot.emu) config.push(["commvault:url", slot.emu.url, false], ["commvault:username", "admin", false], ["commvault:password", "admin-password", true]);
          for (const [k, v, secret] of config) ok(await pulumi(b, slot.dir, ["config", "set", ...(secret ? ["--secret"] : []), k, v, "--stack", stack]), `config set ${k}`);
        }
        for (const op of OPS) {
          for (const slot of order) {
            const since = lastSeq(slot.emu);
            const run = await pulumi(b, slot.dir, await args(b, slot, op, stack), slot.variant === "plugin" ? NO_AMBIENT : {});
            verify(slot, op, n, run, stack);
            const m = byVariant[slot.variant][op];
            m.ms.push(run.ms);
            m.calls = countCalls(slot.emu, since);
            progress(`N=${n} round ${round}/${opts.rounds}: ${slot.variant.padEnd(6)} ${op.padEnd(8)} ${(run.ms / 1000).toFixed(1).padStart(6)} s${slot.emu ? `, ${Object.values(m.calls).reduce((a, c) => a + c, 0)} API calls` : ""}`);
            if (op === "create") {
              const st = stateOf(b, slot.project, stack);
              const mine = st.resources.filter((r) => r.type === TYPE[slot.variant]);
              if (mine.length !== n) throw new Error(`${slot.variant}: ${mine.length} resources in state, expected ${n}`);
              stateBytes[slot.variant] = {
                filePerResource: Math.round(st.bytes / n),
                entry: Math.round(mine.reduce((a, r) => a + Buffer.byteLength(JSON.stringify(r)), 0) / n),
              };
            }
          }
        }
        for (const slot of order) ok(await pulumi(b, slot.dir, ["stack", "rm", "--yes", "--stack", stack]), `stack rm ${slot.variant}`);
      }
      results.push({ n, rounds: opts.rounds, byVariant, stateBytes, load: [load0, os.loadavg()[0]!] });
    }
  } finally {
    for (const s of slots) await s.emu?.close();
    fs.rmSync(path.dirname(b.backend), { recursive: true, force: true });
  }
  return results;
}

export const best = (m: Measured) => Math.min(...m.ms);
