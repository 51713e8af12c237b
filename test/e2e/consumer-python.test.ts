import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { holdConsumerLock, killHard } from "../helpers/consumer-lock";
import { ok } from "../helpers/cli";
import { CONSUMER_EXAMPLE as EXAMPLE, consumerRig, testDays20To37, type Outputs, type Story } from "../helpers/consumer-rig";
import { ROOT } from "../helpers/pack";
import { DAY, dayFloor, iso } from "../helpers/time";
import { projectPython, runPython } from "../helpers/venv";
import { parseStackOutput, runOnce, type RunReport } from "../../examples/token-consumer/consumer";
import { loadState } from "../../examples/token-consumer/state";

jest.setTimeout(600_000);

const CONSUMER = path.join(EXAMPLE, "python/consumer.py");
const AGE_TOOL = path.join(ROOT, "test/python/age_tool.py");

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
  const rig = consumerRig();
  const { h, clock, pulumi, named, renewCalls, markLog, writes, expectFresh } = rig;
  let python: string;
  /** Every secret the run has seen: none may ever appear in the consumer's output. */
  const secrets = new Set<string>();
  const remember = (...values: (string | undefined)[]) => values.forEach((v) => v && secrets.add(v));
  const publish = async (): Promise<Outputs> => {
    fs.writeFileSync(rig.outputFile, ok(await pulumi("stack", "output", "--json", "--show-secrets")), { mode: 0o600 });
    const out = JSON.parse(fs.readFileSync(rig.outputFile, "utf8")) as Outputs;
    remember(out.accessToken, out.refreshToken);
    return out;
  };
  const reports: RunReport[] = [];
  let lostRenews = 0;
  /** One run of `python consumer.py`, at the shared clock; its report, or an Error with its stderr. */
  const consume = async (opts: { outputs?: Record<string, unknown>; identity?: string } = {}): Promise<RunReport> => {
    let file = rig.outputFile;
    if (opts.outputs) {
      file = path.join(rig.dir, "other-output.json");
      fs.writeFileSync(file, JSON.stringify(opts.outputs), { mode: 0o600 });
    }
    const before = loadState(rig.stateFile);
    const args = [CONSUMER, "--api-url", h.running.url, "--stack-output", file, "--state", rig.stateFile, ...(opts.identity ? ["--identity", opts.identity] : [])];
    const r = await runPython(python, args, { cwd: rig.dir, env: { COMMVAULT_TOKENS_NOW: String(clock.now()) } });
    const after = loadState(rig.stateFile);
    remember(before?.accessToken, before?.refreshToken, after?.accessToken, after?.refreshToken);
    for (const secret of secrets) expect(r.stdout + r.stderr).not.toContain(secret);
    if (r.code !== 0) throw new Error(r.stderr.trim());
    const report = JSON.parse(r.stdout) as RunReport;
    reports.push(report);
    return report;
  };
  let gen1: Outputs;
  const story: Story = { publish, consume: () => consume(), consumeStale: (outputs) => consume({ outputs }) };

  beforeAll(async () => {
    python = await projectPython();
    await rig.deploy();
  }, 900_000);

  test("day 0: the first run renews the bootstrap pair once, keeps the new pair to itself and calls the API as cvpysdk does, as the service account", async () => {
    gen1 = story.gen1 = await publish();
    expect(gen1).toMatchObject({ generation: 1, renewableUntil: iso(dayFloor(clock.start + 30 * DAY)) });
    clock.set(clock.start + 60);
    markLog();
    const r = await consume();
    expect(r).toEqual({ tokenId: gen1.tokenId, generation: 1, switched: true, renewed: true, user: "svc-reporting", accessTokenExpiresAt: r.accessTokenExpiresAt, renewableUntil: gen1.renewableUntil });
    expectFresh(r);
    expect(renewCalls()).toBe(1);
    // The work: POST /WhoAmI under the access token, the call `Commcell(authtoken="Bearer <t>")` makes.
    expect(rig.since().map((e) => `${e.method} ${e.path} ${e.status} ${e.via ?? "-"}`)).toEqual(["POST /v4/accesstoken/renew 200 -", "POST /whoami 200 token"]);
    const s = loadState(rig.stateFile)!;
    expect(s).toMatchObject({ tokenId: gen1.tokenId, adopted: [gen1.tokenId] });
    expect([s.accessToken, s.refreshToken]).not.toContain(gen1.accessToken);
    expect(s.refreshToken).not.toBe(gen1.refreshToken);
    expect(s.renewSentAt).toBeUndefined();
    expect(fs.statSync(rig.stateFile).mode & 0o777).toBe(0o600);
    expect(() => execFileSync("flock", ["--nonblock", `${rig.stateFile}.lock`, "true"])).not.toThrow(); // not held
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: gen1.accessToken })).status).toBe(401);
    // A cvpysdk script takes the consumer's token as the README shows.
    const script = [
      "import json, sys",
      "from cvpysdk.commcell import Commcell",
      "state = json.load(open(sys.argv[1]))",
      "cc = Commcell('127.0.0.1', authtoken=f\"Bearer {state['accessToken']}\", web_service_url=sys.argv[2])",
      "print(cc.commcell_username)",
    ].join("\n");
    const sdk = await runPython(python, ["-c", script, rig.stateFile, h.running.url]);
    expect([sdk.code, sdk.stdout.trim(), sdk.stderr]).toEqual([0, "svc-reporting", ""]);
  });

  test("within the half hour: time left, it only uses the token; a run under way keeps a second one out; under 5 minutes left, it renews", async () => {
    clock.set(clock.now() + 10 * 60);
    expect(await consume()).toMatchObject({ renewed: false, switched: false });
    const held = fs.readFileSync(rig.stateFile, "utf8");
    // Another run holds the lock (a live process): this one stops before it reads or sends anything.
    const calls = renewCalls();
    const holder = await holdConsumerLock(python, rig.stateFile);
    clock.set(clock.now() + 16 * 60); // 4 minutes left: a renew would be due
    await expect(consume()).rejects.toThrow(`another run (pid ${holder.pid} on ${os.hostname()}) holds ${rig.stateFile}.lock; this one stops so that the two never renew the same pair. The lock goes by itself when that run ends, even killed`);
    expect(renewCalls()).toBe(calls);
    expect(fs.readFileSync(rig.stateFile, "utf8")).toBe(held);
    // A run that was killed (a crash, a container's end) leaves no lock: the kernel dropped it.
    await killHard(holder);
    const r = await consume();
    expect(r).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false });
    expectFresh(r);
    expect(() => execFileSync("flock", ["--nonblock", `${rig.stateFile}.lock`, "true"])).not.toThrow(); // not held
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
    const before = loadState(rig.stateFile)!;
    const byNode = await runOnce({ stackOutput: parseStackOutput(gen1), stateFile: rig.stateFile, apiUrl: h.running.url, now: clock.now() });
    expect(byNode).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false, user: "svc-reporting" });
    reports.push(byNode);
    expect(loadState(rig.stateFile)!.refreshToken).not.toBe(before.refreshToken);
    remember(loadState(rig.stateFile)!.accessToken, loadState(rig.stateFile)!.refreshToken);
    for (const day of [15, 19]) {
      clock.day(day);
      expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, switched: false });
    }
    // No replay anywhere in the hand-over: the chain is whole and the token alive.
    expect(named("reporting-job")?.chain).toHaveLength(renewCalls());
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  testDays20To37(rig, story);

  test("day 38: a renew whose answer is lost stops the consumer without a replay; a rotationTrigger gives a new generation, whose sealed pair it opens with --identity", async () => {
    clock.day(38);
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken/renew", count: 1 });
    const calls = renewCalls();
    await expect(consume()).rejects.toThrow(/the renew's answer was lost \(the connection failed after the request was sent\).*will not renew it again.*rotationTrigger/);
    lostRenews++;
    const spent = loadState(rig.stateFile)!;
    expect(spent.renewSentAt).toBe(clock.now());
    expect(named("reporting-job")!.chain.some((p) => p.refreshToken === spent.refreshToken)).toBe(true);
    await expect(consume()).rejects.toThrow(/will not renew it again/);
    expect(renewCalls()).toBe(calls + 1);
    expect(named("reporting-job")?.accessTokenId).toBe(story.gen2!.tokenId);

    ok(await pulumi("config", "set", "token-consumer:rotationTrigger", "lost-renew-day-38"));
    markLog();
    ok(await pulumi("up", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${story.gen2!.tokenId}`, "POST /v4/accesstoken"].sort());
    const gen3 = await publish();
    expect(gen3.generation).toBe(3);

    // The pair as a stack with `sealTo` hands it over: age, armored, to this consumer's recipient only.
    const identity = path.join(rig.dir, ".consumer", "identity.txt");
    const recipient = await runPython(python, [AGE_TOOL, "keygen", identity]);
    const other = await runPython(python, [AGE_TOOL, "keygen", path.join(rig.dir, "other-identity.txt")]);
    expect([recipient.code, other.code]).toEqual([0, 0]);
    const seal = await runPython(python, [AGE_TOOL, "seal", recipient.stdout.trim()], { input: JSON.stringify({ accessToken: gen3.accessToken, refreshToken: gen3.refreshToken }) });
    expect(seal.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    const { accessToken: _a, refreshToken: _r, ...plain } = gen3;
    // The shape a stack with sealTo publishes (branch i23): no plaintext pair; the ciphertext and the
    // access token's fingerprint (16 hex digits of SHA-256).
    const sealed = { ...plain, sealedPair: seal.stdout, secretFingerprint: createHash("sha256").update(gen3.accessToken).digest("hex").slice(0, 16) };
    const held = fs.readFileSync(rig.stateFile, "utf8");
    const before = renewCalls();
    await expect(consume({ outputs: sealed })).rejects.toThrow("the stack output's pair is sealed (sealedPair): pass --identity <age identity file>");
    await expect(consume({ outputs: sealed, identity: path.join(rig.dir, "other-identity.txt") })).rejects.toThrow(/sealedPair does not open with .*other-identity.txt: it was sealed to another recipient/);
    await expect(consume({ outputs: gen3, identity })).rejects.toThrow(/--identity was given, but the stack output has no sealedPair/);
    await expect(consume({ outputs: { ...sealed, secretFingerprint: "0123456789abcdef" }, identity })).rejects.toThrow(/sealedPair does not match its secretFingerprint: the file mixes two deployments/);
    expect(renewCalls()).toBe(before);
    expect(fs.readFileSync(rig.stateFile, "utf8")).toBe(held);

    expect(await consume({ outputs: sealed, identity })).toMatchObject({ tokenId: gen3.tokenId, generation: 3, switched: true, renewed: true, user: "svc-reporting" });
    expect(loadState(rig.stateFile)!.adopted).toEqual([gen1.tokenId, story.gen2!.tokenId, gen3.tokenId]);
  });

  test("38 days, 5 deployments, 2 refresh previews and a hand-over: every renewal the emulator saw was a consumer's", () => {
    expect(reports.filter((r) => r.renewed).length + lostRenews).toBe(renewCalls());
    expect(renewCalls()).toBe(15);
  });
});
