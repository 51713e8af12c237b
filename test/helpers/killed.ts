import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { VERSION } from "../../plugin/server";
import { ok, type CliResult, type PlainCli } from "./cli";
import { ADMIN, SVC_BACKUP, SVC_REPORTING, type Harness } from "./emulator";
import { pgBin } from "./gitops";
import { killTreeAndWait, sleep, spawnJob, waitFor } from "./kill";
import { ROOT } from "./pack";

/**
 * Issue 19 item 7: `pulumi up` killed (every process) at a chosen moment of its creates, then
 * only the commands that the output names, until the stack converges. Shared by the fixed-moment
 * tests and the soak.
 */

/** One declared token: a resource's key and its token's name. */
export interface Declared {
  key: string;
  name: string;
  owner: "svc-backup" | "svc-reporting";
  /** The resource's rotationTrigger, when it has one: a new value rotates the token. */
  trigger?: string;
}

export const OWNER_IDS = { "svc-backup": SVC_BACKUP, "svc-reporting": SVC_REPORTING } as const;
const PROPS = { renewableFor: "90d", ipAllowlist: ["10.0.0.0/8"] };

const NODE_PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
for (const t of JSON.parse(fs.readFileSync(__dirname + "/tokens.json", "utf8"))) {
  new AccessToken(t.key, { name: t.name, userName: t.owner, renewableFor: "${PROPS.renewableFor}", ipAllowlist: ${JSON.stringify(PROPS.ipAllowlist)}, rotationTrigger: t.trigger });
}
`;

const yamlProgram = (tokens: Declared[]) =>
  [
    "name: killed-yaml",
    "runtime: yaml",
    "resources:",
    ...tokens.flatMap((t) => [
      `  ${t.key}:`,
      "    type: commvault:AccessToken",
      "    properties:",
      `      name: ${t.name}`,
      `      userName: ${t.owner}`,
      `      renewableFor: ${PROPS.renewableFor}`,
      `      ipAllowlist: ${JSON.stringify(PROPS.ipAllowlist)}`,
      ...(t.trigger === undefined ? [] : [`      rotationTrigger: ${JSON.stringify(t.trigger)}`]),
    ]),
    "",
  ].join("\n");

export type ProgramKind = "nodejs" | "yaml";

/** Only the installed plugin: never the one linked beside the CLI, nor one on PATH. */
const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };

/** Builds the plugin tarball and installs it into the CLI's home, as a user installs a provider. */
export async function installPlugin(cli: PlainCli): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "plugin-"));
  const tarball = execFileSync("bash", [path.join(ROOT, "scripts/build-plugin.sh"), tmp], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
  ok(await cli.pulumi(tmp, ["plugin", "install", "resource", "commvault", VERSION, "-f", tarball], NO_AMBIENT));
}

/** A program folder (Node.js through the dynamic provider, or YAML through the plugin) and its backend. */
export class KillStack {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly type: string;
  declared: Declared[] = [];

  constructor(
    readonly cli: PlainCli,
    readonly h: Harness,
    readonly kind: ProgramKind,
    readonly stack: string,
    backend: { url: string; password?: string },
  ) {
    this.type = kind === "nodejs" ? "pulumi-nodejs:dynamic/commvault:AccessToken" : "commvault:index:AccessToken";
    const files: Record<string, string> =
      kind === "nodejs" ? { "index.js": NODE_PROGRAM, "Pulumi.yaml": "name: killed-nodejs\nruntime: nodejs\n", "tokens.json": "[]" } : { "Pulumi.yaml": yamlProgram([]) };
    this.dir = cli.program(files);
    // The CommServe and its administrator from the environment, as the GitOps pipeline passes them.
    this.env = {
      ...NO_AMBIENT,
      PULUMI_BACKEND_URL: backend.url,
      ...(backend.password ? { PGPASSWORD: backend.password } : {}),
      COMMVAULT_URL: h.running.url,
      COMMVAULT_USERNAME: ADMIN.username,
      COMMVAULT_PASSWORD: ADMIN.password,
    };
  }

  async init(): Promise<void> {
    ok(await this.pulumi(["stack", "init", this.stack]));
  }

  /** Runs `pulumi <args> --stack <stack> --non-interactive` (`stack init` takes the name itself). */
  pulumi(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const withStack = args[0] === "stack" && args[1] === "init" ? args : [...args, "--stack", this.stack];
    return this.cli.pulumi(this.dir, withStack, { ...this.env, ...extraEnv });
  }

  declare(tokens: Declared[]): void {
    this.declared = tokens;
    if (this.kind === "nodejs") fs.writeFileSync(path.join(this.dir, "tokens.json"), JSON.stringify(tokens));
    else fs.writeFileSync(path.join(this.dir, "Pulumi.yaml"), yamlProgram(tokens));
  }

  /** `pulumi up` as a user runs it, in a process group of its own, to be killed. */
  startUp() {
    return spawnJob("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", this.stack], { cwd: this.dir, env: { ...this.cli.env, ...this.env } });
  }

  /** The server's tokens of the declared names' prefix, name → ids. */
  server(prefix: string): Record<string, number[]> {
    const held: Record<string, number[]> = {};
    for (const t of this.h.running.emulator.store.data.tokens) if (t.tokenName.startsWith(prefix)) (held[t.tokenName] ??= []).push(t.accessTokenId);
    return held;
  }

  /** State's tokens (name → ids) and pending operations, from `pulumi stack export`. */
  async state(): Promise<{ tokens: Record<string, number[]>; pending: string[] }> {
    const d = (JSON.parse(ok(await this.pulumi(["stack", "export"]))) as Exported).deployment;
    const tokens: Record<string, number[]> = {};
    for (const r of d.resources ?? []) if (r.type === this.type) (tokens[r.outputs!.name as string] ??= []).push(r.outputs!.tokenId as number);
    return { tokens, pending: (d.pending_operations ?? []).map((p) => `${p.type} ${p.resource.urn}`) };
  }
}

interface Exported {
  deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[]; pending_operations?: { type: string; resource: { urn: string } }[] };
}

/** The moments a kill is aimed at, and (for the soak) a random one. */
export type Moment = "before-post" | "post-on-the-wire" | "after-answers" | "pg-write" | "after-ms";

const posts = (h: Harness, since: number) => h.running.emulator.log.filter((e) => e.seq > since && e.method === "POST" && e.path === "/v4/accesstoken");
const answered = (e: { status: unknown }) => typeof e.status === "number" && e.status > 0;

/** A psql session that holds the row lock of the stack's checkpoint, so that Pulumi's next write of it waits. */
class CheckpointHold {
  private psql: ChildProcessWithoutNullStreams;
  constructor(private pg: { port: string; password: string }, stack: string) {
    this.psql = spawn(path.join(pgBin(), "psql"), ["-h", "127.0.0.1", "-p", pg.port, "-U", "pulumi", "-d", "pulumi", "-qtAX"], { env: { ...process.env, PGPASSWORD: pg.password } });
    this.psql.stdin.write(`BEGIN; SELECT key FROM pulumi_state WHERE key LIKE '%/stacks/%/${stack}.json%' FOR UPDATE;\n`);
  }
  /** Whether a write of the state waits for this hold (another session waits on a lock). */
  waiting(): boolean {
    const n = execFileSync(
      path.join(pgBin(), "psql"),
      ["-h", "127.0.0.1", "-p", this.pg.port, "-U", "pulumi", "-d", "pulumi", "-qtAX", "-c", "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO%'"],
      { env: { ...process.env, PGPASSWORD: this.pg.password }, encoding: "utf8" },
    );
    return Number(n.trim()) > 0;
  }
  async release(): Promise<void> {
    this.psql.stdin.end("ROLLBACK;\n");
    await new Promise((r) => this.psql.on("close", r));
  }
}

export interface KillReport {
  moment: string;
  /** POSTs that had reached the server, and those answered, when the kill came. */
  postsSent: number;
  postsAnswered: number;
  output: string;
}

/**
 * Starts `pulumi up` of the declared tokens and kills every process of it at `moment`; returns once
 * the server has handled every request that was on the wire. `pg` is needed for "pg-write".
 */
export async function killUpAt(s: KillStack, moment: Moment, opts: { latencyMs?: number; pg?: { port: string; password: string }; delayMs?: number } = {}): Promise<KillReport> {
  const h = s.h;
  const since = h.running.emulator.log.at(-1)?.seq ?? 0;
  const latency = opts.latencyMs ?? 3_000;
  await h.api.ctl("DELETE", "faults");
  // Every list waits: no create's name check can pass, so no POST can be sent, before the kill.
  if (moment === "before-post") await h.api.ctl("POST", "faults", { kind: "latency", delayMs: latency, method: "GET", path: "/v4/accesstoken" });
  // pg-write: the POSTs wait too, so that the hold is in place before their answers are recorded.
  if (moment === "post-on-the-wire" || moment === "pg-write" || (moment === "after-ms" && opts.latencyMs)) await h.api.ctl("POST", "faults", { kind: "latency", delayMs: latency, method: "POST", path: "/v4/accesstoken" });
  const job = s.startUp();
  let hold: CheckpointHold | undefined;
  const n = s.declared.length;
  let ended = false;
  void job.exited.then(() => (ended = true));
  const until = (cond: () => boolean, what: string) =>
    waitFor(() => {
      if (cond()) return true;
      if (ended) throw new Error(`pulumi up ended before ${what}:\n${job.output()}`);
      return false;
    }, what);
  switch (moment) {
    case "after-ms":
      // Blind: whatever the run is doing `delayMs` after it started.
      await sleep(opts.delayMs ?? 0);
      break;
    case "before-post":
      // The creates have started (their name check waits on the server); no POST has been sent.
      await until(() => h.running.emulator.log.some((e) => e.seq > since && e.method === "GET" && e.path === "/v4/accesstoken"), "a create's name check");
      await sleep(opts.delayMs ?? 300);
      break;
    case "post-on-the-wire":
      await until(() => posts(h, since).length >= Math.ceil(n / 2), "half the POSTs on the wire");
      await sleep(opts.delayMs ?? 300);
      break;
    case "after-answers":
      await until(() => posts(h, since).filter(answered).length >= Math.ceil(n / 2), "half the creates answered");
      if (opts.delayMs) await sleep(opts.delayMs);
      break;
    case "pg-write":
      if (!opts.pg) throw new Error("pg-write needs the PostgreSQL server");
      await until(() => posts(h, since).length > 0, "a POST on the wire");
      hold = new CheckpointHold(opts.pg, s.stack);
      await until(() => posts(h, since).some(answered) && hold!.waiting(), "a create answered, and a write of the checkpoint that waits on the row lock");
      break;
  }
  const sent = posts(h, since).length;
  const got = posts(h, since).filter(answered).length;
  await killTreeAndWait(job.pid);
  await job.exited;
  // The write that waited is the server's to finish or not; the run is gone either way.
  await hold?.release();
  await h.api.ctl("DELETE", "faults");
  await waitFor(() => !posts(h, since).some((e) => e.status === 0), "the POSTs on the wire to be handled", 60_000);
  return { moment, postsSent: sent, postsAnswered: got, output: job.output() };
}

/** Commands the output names in backquotes: `pulumi ...`. */
export function namedCommands(output: string): string[] {
  const found = [...output.matchAll(/`(pulumi [^`\n]+)`/g)].map((m) => m[1]!.trim().replace(/[.,;:]+$/, ""));
  const unique = [...new Set(found)];
  // A command that another named one refines (Pulumi's plain `pulumi refresh` beside the
  // provider's `pulumi refresh --clear-pending-creates --yes`: the same verb, more flags) is the
  // one a user skips.
  const words = (c: string) => c.split(/\s+/);
  const refines = (o: string, c: string) => {
    const [ow, cw] = [words(o), words(c)];
    return o !== c && ow[1] === cw[1] && ow.length > cw.length && cw.every((w) => ow.includes(w));
  };
  return unique.filter((c) => !unique.some((o) => refines(o, c)));
}

/**
 * The ids of the command a refusal printed for tokens that look like a run's leftovers,
 * `COMMVAULT_TOKENS_SETTLE=<ids> pulumi up`: each refusal names the ids of the run so far, so the
 * longest list, the run's last, is the one a user runs.
 */
export function printedSettle(output: string): string | undefined {
  const lists = [...output.matchAll(/`COMMVAULT_TOKENS_SETTLE=([\d,]+) pulumi up`/g)].map((m) => m[1]!);
  return lists.length ? lists.reduce((a, b) => (b.split(",").length > a.split(",").length ? b : a)) : undefined;
}

export interface Step {
  command: string;
  code: number;
  output: string;
}

/** What a user who follows the output does with a named command: runs it, answering yes; `up` and `preview` are the loop's own. */
function followable(command: string): string[] | undefined {
  const args = command.split(/\s+/).slice(1).map((a) => a.replace(/^'(.*)'$/, "$1"));
  if (["up", "preview"].includes(args[0]!)) return undefined;
  if (["cancel", "refresh", "destroy", "import"].includes(args[0]!) && !args.includes("--yes")) args.push("--yes");
  return args;
}

export interface Recovery {
  steps: Step[];
  /** `up` succeeded, nothing is pending, and the drift gate passed. */
  converged: boolean;
  /** When not converged: Pulumi's records that stayed after `up` succeeded while no named command cleared them. */
  pendingLeft: string[];
  /** When records stayed: whether the drift gate passed all the same (the tokens themselves converged). */
  gatePassed: boolean;
  /** Deletions of an empty `.attrs` (the file backend's own repair, docs/runs-cut-short.md). */
  docsRepairs: number;
}

/**
 * After a kill: `pulumi up` again, and every command its output names, round after round, until
 * `up` succeeds and the drift gate passes with no pending operation. It stops early when `up`
 * succeeds twice with the same pending operations left (what the output names does not clear
 * them). The one step that no output names is the documented repair of the file backend's empty
 * `.attrs` (Pulumi's own "failed to load checkpoint: EOF"); it is marked as such in the steps.
 */
export async function followOutput(s: KillStack, rounds = 5): Promise<Recovery> {
  const steps: Step[] = [];
  let docsRepairs = 0;
  let docsCleared = false;
  let lastPending = "";
  const run = async (args: string[], label = `pulumi ${args.join(" ")}`, extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = await s.pulumi(args, extraEnv);
    steps.push({ command: label, code: r.code, output: r.stdout + r.stderr });
    return r;
  };
  const gate = async () => (await run(["preview", "--refresh", "--expect-no-changes"])).code === 0;
  // The ids the last refusal printed, for the next `up` as printed: `COMMVAULT_TOKENS_SETTLE=<ids> pulumi up`.
  let settle: string | undefined;
  for (let round = 0; round < rounds; round++) {
    const up = settle
      ? await run(["up", "--yes", "--skip-preview"], `COMMVAULT_TOKENS_SETTLE=${settle} pulumi up --yes --skip-preview`, { COMMVAULT_TOKENS_SETTLE: settle })
      : await run(["up", "--yes", "--skip-preview"]);
    const text = up.stdout + up.stderr;
    settle = up.code === 0 ? undefined : (printedSettle(text) ?? settle);
    if (/failed to load checkpoint: EOF/.test(text) && repairAttrs(s)) {
      docsRepairs++;
      steps.push({ command: "(docs/runs-cut-short.md) delete the empty <stack>.json.attrs", code: 0, output: "" });
      continue;
    }
    for (const c of namedCommands(text)) {
      const args = followable(c);
      if (!args) continue;
      // The refusal says "run COMMVAULT_TOKENS_SETTLE=… pulumi up, then clear the records": in that order.
      if (printedSettle(text) && args.includes("--clear-pending-creates")) continue;
      const r = await run(args);
      // One level further: what that command's own output names (such as `pulumi cancel`).
      for (const c2 of namedCommands(r.stdout + r.stderr)) {
        const a2 = followable(c2);
        if (a2 && a2.join(" ") !== args.join(" ")) await run(a2);
      }
    }
    if (up.code !== 0) continue;
    const { pending } = await s.state();
    if (!pending.length) {
      if (await gate()) return { steps, converged: true, pendingLeft: [], gatePassed: true, docsRepairs };
      continue;
    }
    if (JSON.stringify(pending) === lastPending) {
      // A create killed before its POST left no token for the provider to recognise, so no output
      // of ours can name the command; Pulumi's own warning names only `pulumi refresh`, which keeps
      // these records when run with --yes. docs/runs-cut-short.md's rule (clear them once up has
      // settled the tokens, whenever Pulumi warns of pending operations) is the step a user takes;
      // it is marked as a docs step, and taken once.
      const warned = steps.some((x) => /pending operations from previous deployment/.test(x.output));
      if (warned && !docsCleared && (await gate())) {
        docsCleared = true;
        await run(["refresh", "--clear-pending-creates", "--yes"], "(docs/runs-cut-short.md) pulumi refresh --clear-pending-creates --yes");
        continue;
      }
      return { steps, converged: false, pendingLeft: pending, gatePassed: await gate(), docsRepairs };
    }
    lastPending = JSON.stringify(pending);
  }
  const { pending } = await s.state().catch(() => ({ pending: ["(state unreadable)"] }));
  return { steps, converged: false, pendingLeft: pending, gatePassed: false, docsRepairs };
}

/** docs/runs-cut-short.md's repair: an empty `<stack>.json.attrs` of the file backend is deleted. */
function repairAttrs(s: KillStack): boolean {
  const url = s.env.PULUMI_BACKEND_URL!;
  if (!url.startsWith("file://")) return false;
  const folder = path.join(url.slice("file://".length), ".pulumi", "stacks", s.kind === "nodejs" ? "killed-nodejs" : "killed-yaml");
  const empty = fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.startsWith(`${s.stack}.json`) && f.endsWith(".attrs") && fs.statSync(path.join(folder, f)).size === 0) : [];
  for (const f of empty) fs.rmSync(path.join(folder, f));
  return empty.length > 0;
}

/** The transcript of a recovery, for a failure's message: each command, its exit code and its output's tail. */
export const transcript = (steps: Step[]) => steps.map((x) => `$ ${x.command}  (exit ${x.code})\n${x.output.split("\n").slice(-40).join("\n")}`).join("\n");

/** The declared tokens of a round: `count` of them, alternating between the two service accounts. */
export const tokensFor = (prefix: string, count: number): Declared[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}-${i}`.replace(/[^a-zA-Z0-9]/g, "_"), name: `${prefix}-${i}`, owner: i % 2 ? "svc-reporting" : "svc-backup" }));
