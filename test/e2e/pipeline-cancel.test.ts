import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ADMIN, useEmulator, type Harness } from "../helpers/emulator";
import { EXAMPLE, exampleFiles, mustPass, out, pipeline, pipelineEnv, postgresDir, startPostgres, stopPostgres } from "../helpers/gitops";
import { killTree, killTreeAndWait, sleep, spawnJob, waitFor, type Spawned } from "../helpers/kill";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

// The pipeline runs the policy pack: compiled as the repository's install does it.
beforeAll(() => {
  execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
});

const PROJECT = "commvault-tokens-gitops";
const TYPE = "pulumi-nodejs:dynamic/commvault:AccessToken";
/** Each create waits this long on the server before it is committed and answered. */
const LATENCY_MS = 2_500;

/** `n` service-account tokens that pass the policy pack, named `<prefix>-<i>`. */
const tokensOf = (prefix: string, n: number) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `${prefix}-${i}`,
      { name: `${prefix}-${i}`, userName: "svc-backup", scope: "Custom", apiEndpoints: ["/job"], ipAllowlist: ["10.20.0.0/16"], renewableFor: "30d" },
    ]),
  );

interface Exported {
  deployment: { resources?: { type: string; urn: string; outputs?: Record<string, unknown> }[]; pending_operations?: { type: string; resource: { urn: string } }[] };
}

/** The shared steps of these tests: a checkout of examples/gitops, its runs, and what state and server hold. */
function gitopsRig(h: Harness, cli: () => PlainCli, env: () => NodeJS.ProcessEnv) {
  let dir = "";
  const store = () => h.running.emulator.store.data;
  const posts = () => h.running.emulator.log.filter((e) => e.method === "POST" && e.path === "/v4/accesstoken");
  return {
    get dir() {
      return dir;
    },
    checkout(tokens: object) {
      dir = cli().program(exampleFiles());
      fs.writeFileSync(path.join(dir, "tokens.json"), JSON.stringify(tokens, null, 2));
    },
    posts,
    /** The server's tokens of svc-backup, name → ids (an id list longer than one is a doubled token). */
    server(): Record<string, number[]> {
      const held: Record<string, number[]> = {};
      for (const t of store().tokens) if (t.userId === 21) (held[t.tokenName] ??= []).push(t.accessTokenId);
      return held;
    },
    async exported(): Promise<Exported> {
      return JSON.parse(ok(await cli().pulumi(dir, ["stack", "export", "--stack", "dev"], env()))) as Exported;
    },
    /** State's tokens, name → ids, and its pending operations. */
    async state(): Promise<{ tokens: Record<string, number[]>; pending: string[] }> {
      const d = (await this.exported()).deployment;
      const tokens: Record<string, number[]> = {};
      for (const r of d.resources ?? []) if (r.type === TYPE) (tokens[r.outputs!.name as string] ??= []).push(r.outputs!.tokenId as number);
      return { tokens, pending: (d.pending_operations ?? []).map((p) => `${p.type} ${p.resource.urn}`) };
    },
    /** `bash pipeline.sh merge` started as a CI runner starts a job: a process group of its own. */
    startMerge(extra: NodeJS.ProcessEnv = {}): Spawned {
      return spawnJob("bash", [path.join(dir, "pipeline.sh"), "merge"], { cwd: dir, env: { ...env(), ...extra } });
    },
  };
}

/** The signals a runner sends when it cancels a job: `at` ms after the first create reached the server. */
type Cancel = { at: number; send: NodeJS.Signals; to: "process" | "group" } | { at: number; killTree: true };

describe("end to end: pipeline.sh merge cancelled by its runner while creates are on the wire (state in PostgreSQL)", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let pgdir: string;
  let env: NodeJS.ProcessEnv;
  const rig = gitopsRig(h, () => cli, () => env);
  let declared: Record<string, object> = {};

  beforeAll(() => {
    cli = plainCli("gitops-test-passphrase");
    pgdir = postgresDir();
    const pg = startPostgres(pgdir);
    env = pipelineEnv(cli, h, { PULUMI_BACKEND_URL: pg.url, PGPASSWORD: pg.password, LOCK_WAIT_SECONDS: "0" });
  });
  afterAll(() => stopPostgres(pgdir));

  const cancels: [string, string, Cancel[], number][] = [
    // Containers and most runners: SIGTERM to the job, SIGKILL after a grace period.
    ["SIGTERM to the job's process group, every process killed 6 s later", "term", [{ at: 0, send: "SIGTERM", to: "group" }, { at: 6_000, killTree: true }], 143],
    // GitHub Actions: SIGINT to the step's process, SIGTERM 7.5 s later, the process tree killed 2.5 s after that.
    ["GitHub Actions' SIGINT, SIGTERM 7.5 s later, the tree killed 2.5 s after", "gh", [{ at: 0, send: "SIGINT", to: "process" }, { at: 7_500, send: "SIGTERM", to: "process" }, { at: 10_000, killTree: true }], 130],
  ];

  test.each(cancels)("%s: pulumi stops gently, every create on the wire is in state, nothing pending or orphaned; the next run converges", async (_what, prefix, cancel, code) => {
    declared = { ...declared, ...tokensOf(prefix, 6) };
    rig.checkout(declared);
    const before = rig.posts().length;
    const fault = { kind: "latency", delayMs: LATENCY_MS, method: "POST", path: "/v4/accesstoken", count: 6 };
    // Once more on a reset: the synchronous start of PostgreSQL kept the event loop from seeing
    // the emulator close the kept-alive connection that fetch then reuses.
    await h.api.ctl("POST", "faults", fault).catch(() => h.api.ctl("POST", "faults", fault));
    const job = rig.startMerge();
    await waitFor(() => rig.posts().length > before, "the first create to reach the server");
    await sleep(200); // the others start with it: the engine runs creates in parallel
    const start = Date.now();
    let done = false;
    let killed = false;
    void job.exited.then(() => (done = true));
    const timers = cancel.map((c) =>
      setTimeout(() => {
        if (done) return;
        if ("killTree" in c) killed = killTree(job.pid) > 0;
        else if (c.to === "group") process.kill(-job.pid, c.send);
        else process.kill(job.pid, c.send);
      }, c.at),
    );
    const end = await job.exited;
    const took = Date.now() - start;
    timers.forEach(clearTimeout);
    const o = job.output();
    // It stopped by itself, within the runner's grace period, and said why.
    expect({ end, took: took < cancel.at(-1)!.at, killed }).toEqual({ end: { code, signal: null }, took: true, killed: false });
    expect(o).toMatch(/pipeline: SIG(TERM|INT) received: asking pulumi to stop gently/);
    expect(o).toMatch(/received; cancelling/);
    if (prefix === "gh") expect(o).not.toMatch(/received; terminating/);
    expect(o).toMatch(/pipeline: stopped on SIG(TERM|INT)/);

    // Every create that reached the server is in state, once, and nothing is pending.
    const made = Object.keys(rig.server()).filter((n) => n.startsWith(`${prefix}-`));
    expect(made.length).toBeGreaterThan(0);
    const state = await rig.state();
    expect(state.pending).toEqual([]);
    for (const name of made) expect(state.tokens[name]).toEqual(rig.server()[name]);
    for (const ids of Object.values(rig.server())) expect(ids).toHaveLength(1);

    // The next run creates the rest; the server holds exactly what is declared, each once, as state says.
    mustPass(await pipeline(rig.dir, "merge", env));
    expect(Object.keys(rig.server()).sort()).toEqual(Object.keys(declared).sort());
    const after = await rig.state();
    expect(after).toEqual({ tokens: rig.server(), pending: [] });
    expect((await pipeline(rig.dir, "nightly", env)).code).toBe(0);
  });
});

describe("end to end: what a run cut short anyway leaves, the next pipeline.sh run heals (file backend)", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let state: string;
  let env: NodeJS.ProcessEnv;
  const rig = gitopsRig(h, () => cli, () => env);
  const lockDir = () => path.join(state, ".pulumi", "locks", "organization", PROJECT, "dev");
  const locks = () => (fs.existsSync(lockDir()) ? fs.readdirSync(lockDir()).filter((f) => f.endsWith(".json")) : []);
  const writeLock = (hostname: string, at: Date) =>
    fs.writeFileSync(path.join(lockDir(), "0b0e7a1c-5d6f-4c3b-9a8e-7f6d5c4b3a21.json"), JSON.stringify({ pid: 4242, username: "runner", hostname, timestamp: at.toISOString() }));

  beforeAll(async () => {
    cli = plainCli("gitops-test-passphrase");
    state = fs.mkdtempSync(path.join(os.tmpdir(), "cv-state-"));
    env = pipelineEnv(cli, h, { PULUMI_BACKEND_URL: `file://${state}`, LOCK_WAIT_SECONDS: "0" });
    rig.checkout(tokensOf("heal", 3));
    mustPass(await pipeline(rig.dir, "merge", env));
  });

  test("a lock left by a killed run of this machine is removed with `pulumi cancel --yes`, and the run goes on", async () => {
    // Killed (every process, no gentle stop) while the refresh of `up --refresh` waits for the server.
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 3_000, method: "GET", path: "/v4/accesstoken", count: 1 });
    const seen = h.running.emulator.log.length;
    const job = rig.startMerge();
    const reading = () => h.running.emulator.log.slice(seen).some((e) => e.method === "GET" && e.path === "/v4/accesstoken");
    await waitFor(() => locks().length > 0 && reading(), "the run to hold the lock and read the server");
    await killTreeAndWait(job.pid);
    await job.exited;
    await sleep(3_000);
    expect(locks()).toHaveLength(1);
    const r = await pipeline(rig.dir, "merge", env);
    expect(out(r)).toMatch(/the lock of stack dev was left by a run that was killed \(its pulumi process is gone\); removing it with `pulumi cancel --yes`/);
    mustPass(r);
    expect(locks()).toEqual([]);
  });

  test("a run killed while its creates wait for their name check: the next run makes the tokens and clears Pulumi's records of those creates", async () => {
    const tokens = { ...tokensOf("heal", 3), ...tokensOf("late", 2) };
    fs.writeFileSync(path.join(rig.dir, "tokens.json"), JSON.stringify(tokens, null, 2));
    // Every list waits on the server, so no create gets past its name check to a POST.
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 4_000, method: "GET", path: "/v4/accesstoken" });
    const before = rig.posts().length;
    const job = rig.startMerge();
    const checkpoint = path.join(state, ".pulumi", "stacks", PROJECT, "dev.json");
    await waitFor(() => fs.readFileSync(checkpoint, "utf8").includes('"pending_operations"'), "the creates to start (Pulumi records them as pending)");
    await killTreeAndWait(job.pid);
    await job.exited;
    await h.api.ctl("DELETE", "faults");
    expect(rig.posts().length).toBe(before);
    // Read from the file: the kill lands while Pulumi writes the checkpoint, and often leaves its
    // .attrs empty, which fails every CLI command until the pipeline repairs it.
    expect(fs.readFileSync(checkpoint, "utf8")).toContain('"pending_operations"');

    const r = await pipeline(rig.dir, "merge", env);
    mustPass(r);
    expect(out(r)).toMatch(/removing it with `pulumi cancel --yes`/);
    expect(out(r)).toContain("pipeline: this up made every resource whose create a killed run left pending; clearing Pulumi's records of those creates");
    expect(Object.keys(rig.server()).filter((n) => n.startsWith("late-")).sort()).toEqual(["late-0", "late-1"]);
    expect(await rig.state()).toEqual({ tokens: rig.server(), pending: [] });
    expect((await pipeline(rig.dir, "nightly", env)).code).toBe(0);
  });

  test("a token a killed run's POST left is settled only through Pulumi's record: named with a creating operation pending, it is re-made; one alike for a create not pending is never touched", async () => {
    const tokens = { ...tokensOf("heal", 3), ...tokensOf("late", 2), ...tokensOf("wire", 1) };
    fs.writeFileSync(path.join(rig.dir, "tokens.json"), JSON.stringify(tokens, null, 2));
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 4_000, method: "GET", path: "/v4/accesstoken" });
    const job = rig.startMerge();
    const checkpoint = path.join(state, ".pulumi", "stacks", PROJECT, "dev.json");
    await waitFor(() => fs.readFileSync(checkpoint, "utf8").includes('"pending_operations"'), "the creates to start (Pulumi records them as pending)");
    await killTreeAndWait(job.pid);
    await job.exited;
    await h.api.ctl("DELETE", "faults");
    // As a POST on the wire at the kill leaves it: the provider's request for wire-0, committed.
    // And a token alike for a name this stack never began to create (another stack's, or by hand).
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    const body = (name: string) => ({ tokenName: name, userId: 21, tokenType: 3, apiEndpoints: ["/job"], allowedIPs: ["10.20.0.0/16"], renewableUntilTimestamp: Math.floor((Date.now() / 1000 + 30 * 86_400) / 86_400) * 86_400 });
    const made = async (name: string) => ((await h.api.create(h.admin, body(name))).body.tokenInfo as { accessTokenId: number }).accessTokenId;
    const leftover = await made("wire-0");
    const alien = await made("alien-0");
    await sleep(1_100);
    expect(fs.readFileSync(checkpoint, "utf8")).toContain('"pending_operations"');

    // First: only the leftover is pending, so the run settles it and converges.
    const r = await pipeline(rig.dir, "merge", env);
    mustPass(r);
    expect(out(r)).toContain(`pipeline: tokens ${leftover} are leftovers of this stack's run that was cut short`);
    expect(out(r)).toMatch(new RegExp(`token ${leftover}, created \\S+ by this machine's clock, .*?, confirmed by COMMVAULT_TOKENS_SETTLE`));
    expect(rig.server()["wire-0"]).toHaveLength(1);
    expect(rig.server()["wire-0"]).not.toContain(leftover);
    // The alike token is no resource's: state holds every other token on the server, each once.
    const { "alien-0": untouched, ...stacks } = rig.server();
    expect(untouched).toEqual([alien]);
    expect(await rig.state()).toEqual({ tokens: stacks, pending: [] });

    // Then a declared token whose name holds the alike one, with no create of it pending: refused, never settled.
    fs.writeFileSync(path.join(rig.dir, "tokens.json"), JSON.stringify({ ...tokens, ...tokensOf("alien", 1) }, null, 2));
    const refused = await pipeline(rig.dir, "merge", env);
    expect(refused.code).toBe(1);
    expect(out(refused)).toContain(`COMMVAULT_TOKENS_SETTLE=${alien} pulumi up`);
    expect(out(refused)).toContain(`pipeline: token ${alien} is not settled: no creating operation of this stack pending under its name and owner`);
    expect(rig.server()["alien-0"]).toEqual([alien]);
    fs.writeFileSync(path.join(rig.dir, "tokens.json"), JSON.stringify(tokens, null, 2));
  });

  test("a lock of another machine is left alone (it may be a run that is alive); with STALE_LOCK_SECONDS, an older one is removed", async () => {
    fs.mkdirSync(lockDir(), { recursive: true });
    writeLock("other-runner", new Date(Date.now() - 2 * 3_600_000));
    const r = await pipeline(rig.dir, "merge", env);
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(/created by runner@other-runner \(pid 4242\)/);
    expect(out(r)).not.toMatch(/removing it/);
    expect(locks()).toHaveLength(1);

    // Younger than STALE_LOCK_SECONDS: still left alone.
    writeLock("other-runner", new Date(Date.now() - 60_000));
    expect((await pipeline(rig.dir, "merge", { ...env, STALE_LOCK_SECONDS: "3600" })).code).toBe(1);
    expect(locks()).toHaveLength(1);

    writeLock("other-runner", new Date(Date.now() - 2 * 3_600_000));
    const healed = await pipeline(rig.dir, "merge", { ...env, STALE_LOCK_SECONDS: "3600" });
    expect(out(healed)).toMatch(/removing it with `pulumi cancel --yes`/);
    mustPass(healed);
    expect(locks()).toEqual([]);
  });

  test("two stacks of one program on one backend: staging killed before any POST never settles prod's tokens made after it (created later than staging's last record plus the longest a create takes)", async () => {
    const kept = fs.readFileSync(path.join(rig.dir, "tokens.json"), "utf8");
    const twins = tokensOf("twin", 2);
    fs.writeFileSync(path.join(rig.dir, "tokens.json"), JSON.stringify(twins, null, 2));
    const staging = { ...env, PULUMI_STACK: "staging" };
    const prod = { ...env, PULUMI_STACK: "prod" };
    try {
      // staging's up, killed while its creates wait for their name check: pending creates, no POST.
      await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 4_000, method: "GET", path: "/v4/accesstoken" });
      const before = rig.posts().length;
      const job = rig.startMerge({ PULUMI_STACK: "staging" });
      const checkpoint = path.join(state, ".pulumi", "stacks", PROJECT, "staging.json");
      const pendingCreates = () => {
        try {
          return (JSON.parse(fs.readFileSync(checkpoint, "utf8")) as { checkpoint: { latest?: { pending_operations?: unknown[] } } }).checkpoint.latest?.pending_operations?.length ?? 0;
        } catch {
          return 0;
        }
      };
      await waitFor(() => pendingCreates() >= 2, "both of staging's creates to start (Pulumi records them as pending)");
      await killTreeAndWait(job.pid);
      await job.exited;
      await h.api.ctl("DELETE", "faults");
      expect(rig.posts().length).toBe(before);
      // The kill was long ago (more than the longest a create takes): its last record says when.
      // (Pulumi's import drops pending operations, so the file is edited; its .attrs, which holds
      // the file's checksum, is removed: the state loads without it.)
      const cp = JSON.parse(fs.readFileSync(checkpoint, "utf8")) as { checkpoint: { latest: { manifest: { time: string } } } };
      cp.checkpoint.latest.manifest.time = new Date(Date.now() - 2 * 3_600_000).toISOString();
      fs.writeFileSync(checkpoint, JSON.stringify(cp));
      fs.rmSync(`${checkpoint}.attrs`, { force: true });

      // prod, the same program: makes its tokens twin-0 and twin-1.
      mustPass(await pipeline(rig.dir, "merge", prod));
      const prods = rig.server();
      expect(prods["twin-0"]).toHaveLength(1);
      expect(prods["twin-1"]).toHaveLength(1);

      // staging again: the provider refuses (prod's tokens look like its leftovers), and the pipeline confirms neither.
      const r = await pipeline(rig.dir, "merge", staging);
      expect(r.code).toBe(1);
      for (const id of [prods["twin-0"]![0]!, prods["twin-1"]![0]!]) {
        expect(out(r)).toMatch(new RegExp(`pipeline: token ${id} is not settled: it was created at \\S+ by this machine's clock, after the killed run could have made it`));
      }
      expect(out(r)).not.toContain("settling them");
      expect(rig.server()["twin-0"]).toEqual(prods["twin-0"]);
      expect(rig.server()["twin-1"]).toEqual(prods["twin-1"]);
      expect((await pipeline(rig.dir, "nightly", prod)).code).toBe(0);
    } finally {
      fs.writeFileSync(path.join(rig.dir, "tokens.json"), kept);
    }
  });

  test("an empty <stack>.json.attrs (every command fails with `failed to load checkpoint: EOF`) is removed; the gate then passes", async () => {
    const attrs = path.join(state, ".pulumi", "stacks", PROJECT, "dev.json.attrs");
    expect(fs.statSync(attrs).size).toBeGreaterThan(0);
    fs.writeFileSync(attrs, "");
    const broken = await cli.pulumi(rig.dir, ["stack", "export", "--stack", "dev"], env);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/failed to load checkpoint: EOF/);
    const r = await pipeline(rig.dir, "nightly", env);
    expect(out(r)).toContain(`pipeline: removing ${attrs}: it is empty, left by a run killed while it wrote the state`);
    expect(r.code).toBe(0);
    expect(Object.keys((await rig.state()).tokens).sort()).toEqual(["heal-0", "heal-1", "heal-2", "late-0", "late-1", "wire-0"]);
  });
});

test("the workflow leaves the merge room to stop gently: the script is the step's process, and the job outlives the step's time limit", () => {
  const yaml = require("js-yaml") as { load(text: string): unknown };
  const workflow = yaml.load(fs.readFileSync(path.join(EXAMPLE, "github-actions.yml"), "utf8")) as {
    jobs: Record<string, { "timeout-minutes"?: number; steps: { name?: string; run?: string; "timeout-minutes"?: number; env?: Record<string, string> }[] }>;
  };
  const merge = workflow.jobs.merge!;
  const up = merge.steps.find((s) => s.name === "Up")!;
  expect(up.run).toBe("exec bash pipeline.sh merge");
  expect(up["timeout-minutes"]).toBeGreaterThan(0);
  expect(merge["timeout-minutes"]).toBeGreaterThan(up["timeout-minutes"]!);
  // A lock is taken for stale only well after any run of this job has ended.
  expect(Number(up.env!.STALE_LOCK_SECONDS)).toBeGreaterThan(merge["timeout-minutes"]! * 60);
  for (const job of Object.values(workflow.jobs)) expect(job["timeout-minutes"]).toBeGreaterThan(0);
});
