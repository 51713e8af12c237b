import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { holdConsumerLock, killHard } from "../helpers/consumer-lock";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";
import { DAY, dayFloor, iso, sharedClock } from "../helpers/time";
import { projectPython, runPython } from "../helpers/venv";
import { parseStackOutput, runOnce, type RunReport } from "../../examples/token-consumer/consumer";
import { loadState } from "../../examples/token-consumer/state";

jest.setTimeout(600_000);

const EXAMPLE = path.join(ROOT, "examples/token-consumer");
const CONSUMER = path.join(EXAMPLE, "python/consumer.py");
const AGE_TOOL = path.join(ROOT, "test/python/age_tool.py");
type Outputs = Record<string, unknown> & { tokenId: number; generation: number; accessToken: string; refreshToken: string };

/**
 * Issue 20 item 5 under the plain `pulumi` CLI: examples/token-consumer deployed against the
 * emulator, its Python consumer (python/consumer.py, run as a user runs it) at every step while
 * both clocks move across 38 days, as test/e2e/consumer.test.ts does for the Node.js one: renewals
 * from its own pair, a lock that keeps a second run out, a hand-over to the Node.js consumer and
 * back on one state file, an extension in place, a rotation with overlap, the retirement, a renew
 * whose answer was lost, and a manual rotation whose pair arrives sealed (age) and is opened with
 * --identity. Every renew the emulator sees is a consumer's.
 */
describe("end to end: the Python consumer keeps working over time", () => {
  const h = useEmulator({}, { fresh: false });
  const clock = sharedClock(h);
  let python: string;
  let cli: PlainCli;
  let dir: string;
  let stateFile: string;
  let outputFile: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, { COMMVAULT_TOKENS_NOW: String(clock.now()) });
  const store = () => h.running.emulator.store.data;
  const named = (name: string) => store().tokens.find((t) => t.tokenName === name);
  /** Every secret the run has seen: none may ever appear in the consumer's output. */
  const secrets = new Set<string>();
  const remember = (...values: (string | undefined)[]) => values.forEach((v) => v && secrets.add(v));
  const publish = async (): Promise<Outputs> => {
    fs.writeFileSync(outputFile, ok(await pulumi("stack", "output", "--json", "--show-secrets")), { mode: 0o600 });
    const out = JSON.parse(fs.readFileSync(outputFile, "utf8")) as Outputs;
    remember(out.accessToken, out.refreshToken);
    return out;
  };
  const reports: RunReport[] = [];
  let lostRenews = 0;
  /** One run of `python consumer.py`, at the shared clock; its report, or an Error with its stderr. */
  const consume = async (opts: { outputs?: Record<string, unknown>; identity?: string } = {}): Promise<RunReport> => {
    let file = outputFile;
    if (opts.outputs) {
      file = path.join(dir, "other-output.json");
      fs.writeFileSync(file, JSON.stringify(opts.outputs), { mode: 0o600 });
    }
    const before = loadState(stateFile);
    const args = [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", stateFile, ...(opts.identity ? ["--identity", opts.identity] : [])];
    const r = await runPython(python, args, { cwd: dir, env: { COMMVAULT_TOKENS_NOW: String(clock.now()) } });
    const after = loadState(stateFile);
    remember(before?.accessToken, before?.refreshToken, after?.accessToken, after?.refreshToken);
    for (const secret of secrets) expect(r.stdout + r.stderr).not.toContain(secret);
    if (r.code !== 0) throw new Error(r.stderr.trim());
    const report = JSON.parse(r.stdout) as RunReport;
    reports.push(report);
    return report;
  };
  const renewCalls = () => h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length;
  let mark = 0;
  const markLog = () => (mark = h.running.emulator.log.length);
  const writes = () =>
    h.running.emulator.log.slice(mark).filter((e) => e.method !== "GET" && e.path !== "/login" && e.status === 200 && !e.path.endsWith("/renew") && e.path !== "/whoami").map((e) => `${e.method} ${e.path}`).sort();
  const expectFresh = (r: RunReport) => {
    const left = Date.parse(r.accessTokenExpiresAt) / 1000 - clock.now();
    expect(left).toBeGreaterThanOrEqual(30 * 60);
    expect(left).toBeLessThan(30 * 60 + 10);
  };
  let gen1: Outputs;
  let gen2: Outputs;

  beforeAll(async () => {
    python = await projectPython();
    clock.day(0);
    cli = plainCli();
    const files = fs.readdirSync(EXAMPLE).filter((f) => fs.statSync(path.join(EXAMPLE, f)).isFile() && f !== ".gitignore");
    dir = cli.program(Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(EXAMPLE, f), "utf8")])));
    stateFile = path.join(dir, ".consumer", "state.json");
    outputFile = path.join(dir, "stack-output.json");
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("up", "--yes", "--skip-preview"));
  }, 900_000);
  afterAll(() => clock.reset());

  test("day 0: the first run renews the bootstrap pair once, keeps the new pair to itself and calls the API as cvpysdk does, as the service account", async () => {
    gen1 = await publish();
    expect(gen1).toMatchObject({ generation: 1, renewableUntil: iso(dayFloor(clock.start + 30 * DAY)) });
    clock.set(clock.start + 60);
    markLog();
    const r = await consume();
    expect(r).toEqual({ tokenId: gen1.tokenId, generation: 1, switched: true, renewed: true, user: "svc-reporting", accessTokenExpiresAt: r.accessTokenExpiresAt, renewableUntil: gen1.renewableUntil });
    expectFresh(r);
    expect(renewCalls()).toBe(1);
    // The work: POST /WhoAmI under the access token, the call `Commcell(authtoken="Bearer <t>")` makes.
    expect(h.running.emulator.log.slice(mark).map((e) => `${e.method} ${e.path} ${e.status} ${e.via ?? "-"}`)).toEqual(["POST /v4/accesstoken/renew 200 -", "POST /whoami 200 token"]);
    const s = loadState(stateFile)!;
    expect(s).toMatchObject({ tokenId: gen1.tokenId, adopted: [gen1.tokenId] });
    expect([s.accessToken, s.refreshToken]).not.toContain(gen1.accessToken);
    expect(s.refreshToken).not.toBe(gen1.refreshToken);
    expect(s.renewSentAt).toBeUndefined();
    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(() => execFileSync("flock", ["--nonblock", `${stateFile}.lock`, "true"])).not.toThrow(); // not held
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: gen1.accessToken })).status).toBe(401);
    // A cvpysdk script takes the consumer's token as the README shows.
    const script = [
      "import json, sys",
      "from cvpysdk.commcell import Commcell",
      "state = json.load(open(sys.argv[1]))",
      "cc = Commcell('127.0.0.1', authtoken=f\"Bearer {state['accessToken']}\", web_service_url=sys.argv[2])",
      "print(cc.commcell_username)",
    ].join("\n");
    const sdk = await runPython(python, ["-c", script, stateFile, h.running.url]);
    expect([sdk.code, sdk.stdout.trim(), sdk.stderr]).toEqual([0, "svc-reporting", ""]);
  });

  test("within the half hour: time left, it only uses the token; a run under way keeps a second one out; under 5 minutes left, it renews", async () => {
    clock.set(clock.now() + 10 * 60);
    expect(await consume()).toMatchObject({ renewed: false, switched: false });
    const held = fs.readFileSync(stateFile, "utf8");
    // Another run holds the lock (a live process): this one stops before it reads or sends anything.
    const calls = renewCalls();
    const holder = await holdConsumerLock(python, stateFile);
    clock.set(clock.now() + 16 * 60); // 4 minutes left: a renew would be due
    await expect(consume()).rejects.toThrow(`another run (pid ${holder.pid} on ${os.hostname()}) holds ${stateFile}.lock; this one stops so that the two never renew the same pair. The lock goes by itself when that run ends, even killed`);
    expect(renewCalls()).toBe(calls);
    expect(fs.readFileSync(stateFile, "utf8")).toBe(held);
    // A run that was killed (a crash, a container's end) leaves no lock: the kernel dropped it.
    await killHard(holder);
    const r = await consume();
    expect(r).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false });
    expectFresh(r);
    expect(() => execFileSync("flock", ["--nonblock", `${stateFile}.lock`, "true"])).not.toThrow(); // not held
    clock.set(clock.now() + 60);
    expect(await consume()).toMatchObject({ renewed: false });
    expect(renewCalls()).toBe(2);
  });

  test("days 1 to 19: every run renews from the consumer's own pair, on day 10 the Node.js consumer takes the same state file and hands it back, and the drift gate sees a healthy token", async () => {
    for (const day of [1, 5]) {
      clock.day(day);
      expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, switched: false });
    }
    clock.day(10);
    const before = loadState(stateFile)!;
    const byNode = await runOnce({ stackOutput: parseStackOutput(gen1), stateFile, apiUrl: h.running.url, now: clock.now() });
    expect(byNode).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false, user: "svc-reporting" });
    reports.push(byNode);
    expect(loadState(stateFile)!.refreshToken).not.toBe(before.refreshToken);
    remember(loadState(stateFile)!.accessToken, loadState(stateFile)!.refreshToken);
    for (const day of [15, 19]) {
      clock.day(day);
      expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, switched: false });
    }
    // No replay anywhere in the hand-over: the chain is whole and the token alive.
    expect(named("reporting-job")?.chain).toHaveLength(renewCalls());
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("day 20: `pulumi up --refresh` extends the lifetime in place with one PUT; the consumer is untouched and its next renew carries the new end", async () => {
    const held = fs.readFileSync(stateFile, "utf8");
    clock.day(20);
    markLog();
    ok(await pulumi("up", "--refresh", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${gen1.tokenId}`]);
    const extended = await publish();
    expect(extended).toEqual({ ...gen1, renewableUntil: iso(dayFloor(clock.now() + 30 * DAY)) });
    expect(fs.readFileSync(stateFile, "utf8")).toBe(held);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false, renewableUntil: extended.renewableUntil });
  });

  test("day 30: a rotation; the token kept aside keeps working until the consumer sees the new generation and switches, never back", async () => {
    clock.day(30);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, renewed: true });
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${gen1.tokenId}`, "POST /v4/accesstoken"].sort());
    expect(named("reporting-job~g1")?.accessTokenId).toBe(gen1.tokenId);
    clock.set(clock.now() + 28 * 60);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, user: "svc-reporting" });
    clock.day(32);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true });
    gen2 = await publish();
    expect(gen2.generation).toBe(2);
    expect(gen2.tokenId).not.toBe(gen1.tokenId);
    clock.day(33);
    expect(await consume()).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: true, renewed: true, user: "svc-reporting" });
    const calls = renewCalls();
    expect(await consume({ outputs: gen1 })).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: false, renewed: false });
    expect(renewCalls()).toBe(calls);
    expect(named("reporting-job~g1")).toBeDefined();
  });

  test("day 37: the retirement `up` revokes the old token with one DELETE; the consumer goes on", async () => {
    clock.day(37);
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`DELETE /v4/accesstoken/${gen1.tokenId}`]);
    expect(named("reporting-job~g1")).toBeUndefined();
    expect(await consume()).toMatchObject({ tokenId: gen2.tokenId, generation: 2, renewed: true, user: "svc-reporting" });
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("day 38: a renew whose answer is lost stops the consumer without a replay; a rotationTrigger gives a new generation, whose sealed pair it opens with --identity", async () => {
    clock.day(38);
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken/renew", count: 1 });
    const calls = renewCalls();
    await expect(consume()).rejects.toThrow(/the renew's answer was lost \(the connection failed after the request was sent\).*will not renew it again.*rotationTrigger/);
    lostRenews++;
    const spent = loadState(stateFile)!;
    expect(spent.renewSentAt).toBe(clock.now());
    expect(named("reporting-job")!.chain.some((p) => p.refreshToken === spent.refreshToken)).toBe(true);
    await expect(consume()).rejects.toThrow(/will not renew it again/);
    expect(renewCalls()).toBe(calls + 1);
    expect(named("reporting-job")?.accessTokenId).toBe(gen2.tokenId);

    ok(await pulumi("config", "set", "token-consumer:rotationTrigger", "lost-renew-day-38"));
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${gen2.tokenId}`, "POST /v4/accesstoken"].sort());
    const gen3 = await publish();
    expect(gen3.generation).toBe(3);

    // The pair as a stack with `sealTo` hands it over: age, armored, to this consumer's recipient only.
    const identity = path.join(dir, ".consumer", "identity.txt");
    const recipient = await runPython(python, [AGE_TOOL, "keygen", identity]);
    const other = await runPython(python, [AGE_TOOL, "keygen", path.join(dir, "other-identity.txt")]);
    expect([recipient.code, other.code]).toEqual([0, 0]);
    const seal = await runPython(python, [AGE_TOOL, "seal", recipient.stdout.trim()], { input: JSON.stringify({ accessToken: gen3.accessToken, refreshToken: gen3.refreshToken }) });
    expect(seal.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    const { accessToken: _a, refreshToken: _r, ...plain } = gen3;
    // The shape a stack with sealTo publishes (branch i23): no plaintext pair; the ciphertext and the
    // access token's fingerprint (16 hex digits of SHA-256).
    const sealed = { ...plain, sealedPair: seal.stdout, secretFingerprint: createHash("sha256").update(gen3.accessToken).digest("hex").slice(0, 16) };
    const held = fs.readFileSync(stateFile, "utf8");
    const before = renewCalls();
    await expect(consume({ outputs: sealed })).rejects.toThrow("the stack output's pair is sealed (sealedPair): pass --identity <age identity file>");
    await expect(consume({ outputs: sealed, identity: path.join(dir, "other-identity.txt") })).rejects.toThrow(/sealedPair does not open with .*other-identity.txt: it was sealed to another recipient/);
    await expect(consume({ outputs: gen3, identity })).rejects.toThrow(/--identity was given, but the stack output has no sealedPair/);
    await expect(consume({ outputs: { ...sealed, secretFingerprint: "0123456789abcdef" }, identity })).rejects.toThrow(/sealedPair does not match its secretFingerprint: the file mixes two deployments/);
    expect(renewCalls()).toBe(before);
    expect(fs.readFileSync(stateFile, "utf8")).toBe(held);

    expect(await consume({ outputs: sealed, identity })).toMatchObject({ tokenId: gen3.tokenId, generation: 3, switched: true, renewed: true, user: "svc-reporting" });
    expect(loadState(stateFile)!.adopted).toEqual([gen1.tokenId, gen2.tokenId, gen3.tokenId]);
  });

  test("38 days, 5 deployments, 2 refresh previews and a hand-over: every renewal the emulator saw was a consumer's", () => {
    expect(reports.filter((r) => r.renewed).length + lostRenews).toBe(renewCalls());
    expect(renewCalls()).toBe(15);
  });
});
