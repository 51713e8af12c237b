import type { FaultRule, RunningEmulator } from "../../emulator";
import { ok, pulumi, stateOf, tail, type BenchCli, type Run } from "./cli";
import { program } from "./engine";

/**
 * The engine-level soak (issue 11 item 4): the plain CLI drives N tokens at full engine speed
 * while a share of all requests fail transiently. Each phase (create, update of all, destroy) may
 * take one rerun; after it, the server must hold exactly what state says. Shared by
 * test/e2e/soak.test.ts (CI size, asserts) and `npm run bench` (full size, reports).
 */

/**
 * About a fifth of all requests fail, each kind of transient failure represented: a reset
 * connection before anything is handled (any request), a status before anything is handled (429
 * with Retry-After for reads, 502 for POSTs, 503 for PUTs, 504 for DELETEs), and a create that is
 * committed and whose answer is then lost. The emulator takes the first rule of a kind that
 * matches a request, so the statuses are split by method.
 */
export function transientFaults(rate = 0.2): FaultRule[] {
  const reset = 0.05;
  // reset and status together fail `rate` of the requests.
  const status = 1 - (1 - rate) / (1 - reset);
  return [
    { kind: "reset", rate: reset },
    { kind: "status", status: 429, retryAfter: 1, method: "GET", rate: status },
    { kind: "status", status: 502, method: "POST", rate: status },
    { kind: "status", status: 503, method: "PUT", rate: status },
    { kind: "status", status: 504, method: "DELETE", rate: status },
    { kind: "drop", method: "POST", path: "/v4/accesstoken", rate: 0.05 },
  ];
}

export type PhaseName = "create" | "update" | "destroy";

export interface PhaseReport {
  phase: PhaseName;
  /** Each CLI run of the phase: exit code, wall time, retries the CLI output shows. */
  runs: { code: number; ms: number; retriesShown: number; output: string }[];
  /** Requests of the phase by outcome (status, "reset", "dropped"). */
  outcomes: Record<string, number>;
  /** Requests of the phase by "METHOD /path". */
  calls: Record<string, number>;
  /** What the server and state hold once the phase is over. */
  server: { tokens: number; distinctNames: number };
  /** Every difference between state and the server; empty when they agree. */
  mismatches: string[];
}

export interface SoakReport {
  n: number;
  phases: PhaseReport[];
}

/** Lines such as `commvault: create access token failed (HTTP 502); retry 1 in 230 ms`, as the CLI shows them. */
export const RETRY_LINE = /commvault(?: \([^)]*\))?: .+ failed \(.+\); retry \d+ in \d+ ms/g;

export interface SoakOptions {
  n: number;
  cli: BenchCli;
  emu: RunningEmulator;
  faults?: FaultRule[];
  /** Runs per phase in all: the first and at most this many minus one reruns. */
  maxRuns?: number;
  progress?: (s: string) => void;
}

const PROJECT = "soak";

/** The names the program declares: bench-<i>, or bench-<i>-v2 once renamed. */
export function expectedNames(n: number, renamed: boolean): string[] {
  return Array.from({ length: n }, (_, i) => `bench-${i}${renamed ? "-v2" : ""}`);
}

/** Every way in which state and the server disagree. */
export function compare(b: BenchCli, stack: string, emu: RunningEmulator, names: string[]): string[] {
  const problems: string[] = [];
  const state = stateOf(b, PROJECT, stack).resources.filter((r) => r.type === "pulumi-nodejs:dynamic/commvault:AccessToken");
  const server = emu.emulator.store.data.tokens;
  const byId = new Map(server.map((t) => [t.accessTokenId, t]));
  const seen = new Set<number>();
  for (const r of state) {
    const o = r.outputs ?? {};
    if (o.pendingRecreate !== undefined) problems.push(`${r.urn} is pending in state: ${String(o.pendingRecreate).slice(0, 160)}`);
    const t = typeof o.tokenId === "number" ? byId.get(o.tokenId) : undefined;
    if (!t) {
      problems.push(`${r.urn} has token ${String(o.tokenId)} in state, which the server does not hold`);
      continue;
    }
    seen.add(t.accessTokenId);
    if (t.tokenName !== o.name) problems.push(`${r.urn}: state says name ${String(o.name)}, the server ${t.tokenName}`);
    if (t.userId !== o.userId) problems.push(`${r.urn}: state says owner ${String(o.userId)}, the server ${t.userId}`);
  }
  for (const t of server) if (!seen.has(t.accessTokenId)) problems.push(`token ${t.accessTokenId} "${t.tokenName}" is on the server but in no resource's state`);
  const want = [...names].sort();
  const have = server.map((t) => t.tokenName).sort();
  if (JSON.stringify(want) !== JSON.stringify(have)) {
    const missing = want.filter((n) => !have.includes(n));
    const extra = have.filter((n, i) => !want.includes(n) || have.indexOf(n) !== i);
    problems.push(`the server holds ${have.length} tokens, the program declares ${want.length}; missing ${missing.slice(0, 5).join(", ") || "none"}, extra or doubled ${extra.slice(0, 5).join(", ") || "none"}`);
  }
  return problems;
}

function tally(emu: RunningEmulator, since: number): { outcomes: Record<string, number>; calls: Record<string, number> } {
  const outcomes: Record<string, number> = {};
  const calls: Record<string, number> = {};
  for (const e of emu.emulator.log) {
    if (e.seq <= since) continue;
    outcomes[String(e.status)] = (outcomes[String(e.status)] ?? 0) + 1;
    const key = `${e.method} ${e.path.replace(/\/\d+$/, "/<id>")}`;
    calls[key] = (calls[key] ?? 0) + 1;
  }
  return { outcomes, calls };
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const { n, cli: b, emu } = opts;
  const faults = opts.faults ?? transientFaults();
  const maxRuns = opts.maxRuns ?? 2;
  const say = opts.progress ?? (() => undefined);
  const stack = `soak-${n}`;
  const dir = b.cli.program({ "Pulumi.yaml": `name: ${PROJECT}\nruntime: nodejs\ndescription: soak under transient faults\n`, "index.js": program("ours") });
  const set = async (k: string, v: string, secret = false) => ok(await pulumi(b, dir, ["config", "set", ...(secret ? ["--secret"] : []), k, v, "--stack", stack]), `config set ${k}`);
  ok(await pulumi(b, dir, ["stack", "init", stack]), "stack init");
  await set("bench:count", String(n));
  await set("bench:gen", "0");
  await set("bench:renameEvery", "1");
  await set("commvault:url", emu.url);
  await set("commvault:username", "admin");
  await set("commvault:password", "admin-password", true);

  const report: SoakReport = { n, phases: [] };
  const phases: [PhaseName, string[], string[]][] = [
    ["create", ["up", "--yes", "--skip-preview"], expectedNames(n, false)],
    ["update", ["up", "--yes", "--skip-preview"], expectedNames(n, true)],
    ["destroy", ["destroy", "--yes", "--skip-preview"], []],
  ];
  for (const [phase, args, names] of phases) {
    if (phase === "update") await set("bench:gen", "1");
    const since = emu.emulator.log.at(-1)?.seq ?? 0;
    const runs: PhaseReport["runs"] = [];
    emu.emulator.faults.clear();
    for (const f of faults) emu.emulator.faults.add(f);
    try {
      for (let attempt = 1; attempt <= maxRuns; attempt++) {
        const r: Run = await pulumi(b, dir, [...args, "--stack", stack]);
        const output = `${r.stdout}\n${r.stderr}`;
        runs.push({ code: r.code, ms: r.ms, retriesShown: output.match(RETRY_LINE)?.length ?? 0, output });
        say(`soak N=${n} ${phase}: run ${attempt} exited ${r.code} after ${(r.ms / 1000).toFixed(1)} s, ${runs.at(-1)!.retriesShown} retries shown`);
        if (r.code === 0) break;
        if (attempt === maxRuns) say(`soak N=${n} ${phase}: still failing after ${maxRuns} runs:\n${tail(output, 30)}`);
      }
    } finally {
      emu.emulator.faults.clear();
    }
    const tokens = emu.emulator.store.data.tokens;
    report.phases.push({
      phase,
      runs,
      ...tally(emu, since),
      server: { tokens: tokens.length, distinctNames: new Set(tokens.map((t) => `${t.userId}/${t.tokenName.toLowerCase()}`)).size },
      mismatches: compare(b, stack, emu, names),
    });
  }
  ok(await pulumi(b, dir, ["stack", "rm", "--yes", "--force", "--stack", stack]), "stack rm");
  return report;
}
