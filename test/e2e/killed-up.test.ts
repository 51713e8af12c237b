import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, SVC_BACKUP, useEmulator, type Harness } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

const PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
for (const [key, args] of Object.entries(spec)) new AccessToken(key, args);
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ON_THE_WIRE = 3;

/** Every process below `root` now (read from /proc): the CLI, its language host and its plugins. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the parenthesised command name: state, then the parent's pid.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Ended meanwhile.
    }
  }
  const found: number[] = [];
  for (let queue = [root]; queue.length; ) {
    const pid = queue.shift()!;
    for (const [child, ppid] of parent) {
      if (ppid === pid) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/**
 * Runs `pulumi up` in `dir` and kills every process of it (SIGKILL to its process group) once all
 * but ON_THE_WIRE creates have answered and ON_THE_WIRE POSTs wait on the server, which commits
 * them after the kill. Returns the names that were on the wire, once the server has made them.
 */
async function killMidCreate(h: Harness, cli: PlainCli, dir: string, count: number): Promise<string[]> {
  const posts = () => h.running.emulator.log.filter((e) => e.method === "POST" && e.path === "/v4/accesstoken");
  // The first POSTs to arrive wait on the server (which then commits them); the others answer at once.
  await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 6_000, method: "POST", path: "/v4/accesstoken", count: ON_THE_WIRE });
  const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { cwd: dir, env: cli.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += String(d)));
  child.stderr.on("data", (d) => (output += String(d)));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  for (let i = 0; ; i++) {
    const p = posts();
    if (p.filter((e) => e.status === 0).length === ON_THE_WIRE && p.filter((e) => e.status === 200).length === count - ON_THE_WIRE) break;
    if (i > 600) throw new Error(`the creates never reached the server as planned:\n${output}`);
    await sleep(100);
  }
  // Let the engine record the answered creates, then kill every process of the run: its process
  // group, and the plugins the engine started (each in a process group of its own), as a lost
  // machine would.
  await sleep(1_500);
  const plugins = descendants(child.pid!);
  process.kill(-child.pid!, "SIGKILL");
  for (const pid of plugins) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone with the group already.
    }
  }
  await exited;
  const wire = new Set(posts().filter((e) => e.status === 0).map((e) => e.seq));
  expect(wire.size).toBe(ON_THE_WIRE);
  // The server commits what was on the wire (the log has a request's body once it is handled).
  for (let i = 0; posts().some((e) => e.status === 0); i++) {
    if (i > 200) throw new Error("the POSTs on the wire never ended");
    await sleep(100);
  }
  // The next run starts after those tokens were made, as it does when a person or a runner follows up.
  await sleep(1_100);
  return posts()
    .filter((e) => wire.has(e.seq))
    .map((e) => (e.body as { tokenName: string }).tokenName)
    .sort();
}

/**
 * The command a refusal printed for tokens that look like a run's leftovers:
 * `COMMVAULT_TOKENS_SETTLE=<ids> pulumi up`. Each refusal names the ids of the run so far, so the
 * last names them all: that one, the longest, must hold every id any refusal named.
 */
function printedSettle(text: string): number[] {
  const lists = [...text.matchAll(/`COMMVAULT_TOKENS_SETTLE=([\d,]+) pulumi up`/g)].map((m) => m[1]!.split(",").map(Number));
  expect(lists.length).toBeGreaterThan(0);
  const longest = lists.reduce((a, b) => (b.length > a.length ? b : a));
  expect([...new Set(lists.flat())].sort((a, b) => a - b)).toEqual([...longest].sort((a, b) => a - b));
  return longest;
}

/** The names of the creates that Pulumi recorded as interrupted: what the one who runs the stack checks the ids against. */
const pendingNames = (deployment: { pending_operations?: { type?: string; resource?: { inputs?: { name?: string } } }[] }) =>
  (deployment.pending_operations ?? []).filter((o) => o.type === "creating").map((o) => o.resource?.inputs?.name).sort();

/**
 * Issue 19 under the plain CLI: every process of `pulumi up` killed (SIGKILL to its process group)
 * while some creates have answered and others are on the wire (the server commits those), then
 * only the commands the output names: `pulumi cancel --yes`, `pulumi up`, and the command that
 * clears Pulumi's records of the interrupted creates. The first `up` refuses the leftovers before any
 * write and prints the command that settles them; run as printed (its ids checked against Pulumi's
 * pending operations, as the refusal says), it re-makes them.
 */
describe("end to end: a `pulumi up` killed while creates are on the wire converges", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const NAMES = ["ci-1", "ci-2", "ci-3", "ci-4", "ci-5", "ci-6"];
  const onServer = () => h.running.emulator.store.data.tokens.filter((t) => t.userId === SVC_BACKUP);
  const exported = async () =>
    JSON.parse(ok(await pulumi("stack", "export"))).deployment as { resources?: { type: string; outputs?: { tokenId?: number; name?: string } }[]; pending_operations?: { type?: string; resource?: { inputs?: { name?: string } } }[] };

  beforeAll(async () => {
    cli = plainCli();
    const spec = Object.fromEntries(NAMES.map((n) => [n, { name: n, userName: "svc-backup", renewableFor: "90d", ipAllowlist: ["10.0.0.0/8"] }]));
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: killed\nruntime: nodejs\n", "spec.json": JSON.stringify(spec) });
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });

  test("SIGKILL mid-create, then `pulumi cancel --yes` and `pulumi up` make exactly the declared tokens, name each one re-made and the clear-pending command", async () => {
    const cutShort = await killMidCreate(h, cli, dir, NAMES.length);
    expect(onServer()).toHaveLength(NAMES.length);
    const locked = await pulumi("up", "--yes", "--skip-preview");
    expect(locked.code).not.toBe(0);
    expect(locked.stdout + locked.stderr).toMatch(/locked[\s\S]*pulumi cancel/);
    ok(await pulumi("cancel", "--yes"));

    const before = await exported();
    expect(before.pending_operations?.length ?? 0).toBe(ON_THE_WIRE);
    // Without confirmation nothing is touched: each leftover is refused, named, with the command.
    const leftovers = onServer().filter((t) => cutShort.includes(t.tokenName));
    h.running.emulator.log.length = 0;
    const refused = await pulumi("up", "--yes", "--skip-preview");
    const said = refused.stdout + refused.stderr;
    expect(refused.code).not.toBe(0);
    for (const t of leftovers) expect(said).toMatch(new RegExp(`named "${t.tokenName}" already exists for user svc-backup \\(token id ${t.accessTokenId}, created [^)]+\\)\\. It looks like one that a run of this stack cut short left behind`));
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
    const ids = printedSettle(said);
    // The check the refusal asks for: each id's token is one Pulumi recorded as interrupted while creating.
    expect(ids.map((id) => onServer().find((t) => t.accessTokenId === id)?.tokenName).sort()).toEqual(pendingNames(await exported()));
    const r = await cli.pulumi(dir, ["up", "--yes", "--skip-preview"], { COMMVAULT_TOKENS_SETTLE: ids.join(",") });
    const text = r.stdout + r.stderr;
    if (r.code !== 0) throw new Error(`COMMVAULT_TOKENS_SETTLE=${ids.join(",")} pulumi up exited ${r.code}\n${text}`);
    for (const name of cutShort) {
      expect(text).toMatch(new RegExp(`access token "${name}" of user svc-backup: token \\d+, created \\S+ by this machine's clock, the CommServe's createdTime \\S+ less its clock's offset of [-+]\\d+ s from its Date header, confirmed by COMMVAULT_TOKENS_SETTLE as one that a run cut short left behind while creating it[\\s\\S]*?revoking it and creating it again`));
    }
    expect(text).toContain("pulumi refresh --clear-pending-creates --yes");

    // Exactly the declared tokens, each once, each held by its resource in state.
    const tokens = onServer();
    expect(tokens.map((t) => t.tokenName).sort()).toEqual([...NAMES].sort());
    const state = await exported();
    const held = (state.resources ?? []).filter((x) => x.type.endsWith(":AccessToken")).map((x) => [x.outputs?.name, x.outputs?.tokenId]);
    expect(Object.fromEntries(held)).toEqual(Object.fromEntries(tokens.map((t) => [t.tokenName, t.accessTokenId])));
    // The engine carries its records forward; the command the output named clears them.
    expect(state.pending_operations?.length ?? 0).toBe(ON_THE_WIRE);
    ok(await pulumi("refresh", "--clear-pending-creates", "--yes"));
    expect((await exported()).pending_operations ?? []).toEqual([]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    expect(onServer().map((t) => t.tokenName).sort()).toEqual([...NAMES].sort());
    fs.rmSync(path.join(dir, "spec.json"));
  });
});

const YAML = (names: string[]) =>
  "name: killed-yaml\nruntime: yaml\nresources:\n" +
  names
    .map((n) => `  ${n}:\n    type: commvault:AccessToken\n    properties:\n      name: ${n}\n      userName: svc-backup\n      renewableFor: 90d\n`)
    .join("");

/**
 * The same through the provider plugin (a YAML program). One of the tokens left on the wire is
 * used before the next run (someone has its secret): it is never taken for a leftover, and the
 * refusal names it, its resource's URN and the ways out, one of which the user follows (adopt).
 */
describe("end to end: a YAML program's `pulumi up` killed mid-create, through the plugin", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const NAMES = ["y-1", "y-2", "y-3", "y-4", "y-5"];
  const onServer = () => h.running.emulator.store.data.tokens.filter((t) => t.userId === SVC_BACKUP);
  const exported = async () => JSON.parse(ok(await pulumi("stack", "export"))).deployment as { resources?: { type: string; outputs?: { tokenId?: number; name?: string } }[]; pending_operations?: unknown[] };

  beforeAll(async () => {
    // The plugin linked beside the CLI serves the compiled core of this checkout.
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
    dir = cli.program({ "Pulumi.yaml": YAML(NAMES) });
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });

  test("recognised tokens are re-made; a used one is refused, and adopting it as the refusal says converges with the rest", async () => {
    const cutShort = await killMidCreate(h, cli, dir, NAMES.length);
    ok(await pulumi("cancel", "--yes"));
    // Someone got hold of one of them and used it: it is never revoked.
    const used = onServer().find((t) => t.tokenName === cutShort[0])!;
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: used.accessToken })).status).toBe(200);

    const first = await pulumi("up", "--yes", "--skip-preview");
    const text = first.stdout + first.stderr;
    expect(first.code).not.toBe(0);
    const urn = `urn:pulumi:dev::killed-yaml::commvault:index:AccessToken::${used.tokenName}`;
    expect(text).toContain(`it is not taken for such a token because it has been used`);
    expect(text).toContain(`declaring \`adopt: { tokenId: ${used.accessTokenId} }\` on this resource (${urn}) and running \`pulumi up\``);
    // The others are refused until confirmed; the printed command names them, never the used one.
    const others = onServer().filter((t) => cutShort.slice(1).includes(t.tokenName));
    for (const t of others) expect(text).toMatch(new RegExp(`named "${t.tokenName}" already exists for user svc-backup \\(token id ${t.accessTokenId}, created [^)]+\\)\\. It looks like one that a run of this stack cut short left behind`));
    const ids = printedSettle(text);
    expect([...ids].sort((a, b) => a - b)).toEqual(others.map((t) => t.accessTokenId).sort((a, b) => a - b));
    expect(onServer().find((t) => t.accessTokenId === used.accessTokenId)).toBeDefined();

    // The ways out the output named, in order: adopt the used one, the printed command, clear the records.
    const file = path.join(dir, "Pulumi.yaml");
    const yaml = fs.readFileSync(file, "utf8");
    const at = yaml.indexOf(`      name: ${used.tokenName}\n`);
    fs.writeFileSync(file, `${yaml.slice(0, at)}      adopt:\n        tokenId: ${used.accessTokenId}\n${yaml.slice(at)}`);
    const second = await cli.pulumi(dir, ["up", "--yes", "--skip-preview"], { COMMVAULT_TOKENS_SETTLE: ids.join(",") });
    if (second.code !== 0) throw new Error(`COMMVAULT_TOKENS_SETTLE=${ids.join(",")} pulumi up with adopt exited ${second.code}\n${second.stdout}\n${second.stderr}`);
    for (const t of others) expect(second.stdout + second.stderr).toContain(`token ${t.accessTokenId}, created`);
    ok(await pulumi("refresh", "--clear-pending-creates", "--yes"));
    const state = await exported();
    expect(state.pending_operations ?? []).toEqual([]);
    const tokens = onServer();
    expect(tokens.map((t) => t.tokenName).sort()).toEqual([...NAMES].sort());
    expect(tokens.find((t) => t.tokenName === used.tokenName)!.accessTokenId).toBe(used.accessTokenId);
    const held = (state.resources ?? []).filter((x) => x.type.endsWith(":AccessToken")).map((x) => [x.outputs?.name, x.outputs?.tokenId]);
    expect(Object.fromEntries(held)).toEqual(Object.fromEntries(tokens.map((t) => [t.tokenName, t.accessTokenId])));
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });
});
