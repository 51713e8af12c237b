import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";
import { DAY, dayFloor, iso, sharedClock } from "../helpers/time";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { openStackOutput, parseStackOutput, runOnce, type RunReport } from "../../examples/token-consumer/consumer";
import { openSealed } from "../../examples/token-consumer/sealed";
import { loadState } from "../../examples/token-consumer/state";

jest.setTimeout(600_000);

const EXAMPLE = path.join(ROOT, "examples/token-consumer");
const run = promisify(execFile);
type Outputs = Record<string, unknown> & { tokenId: number; generation: number; accessToken: string; refreshToken: string };

/**
 * Issue 8 item 7 under the plain `pulumi` CLI: examples/token-consumer deployed against the
 * emulator, its consumer run at every step while both clocks move across 38 days: renewals from
 * its own pair, an extension in place, a rotation with overlap, the retirement, a renew whose
 * answer was lost, and a manual rotation. Every renew the emulator sees is the consumer's.
 * Issue 23 item 3: the same with the pair sealed to the consumer's age key (`sealTo`): the stack
 * outputs and state hold no secret, and the consumer opens the pair with its identity file.
 */
describe.each(["plain", "sealed"] as const)("end to end: the example consumer keeps working over time (%s pair)", (mode) => {
  const sealed = mode === "sealed";
  let identity: string;
  let keyFile: string;
  const h = useEmulator({}, { fresh: false });
  const clock = sharedClock(h);
  let cli: PlainCli;
  let dir: string;
  let stateFile: string;
  let outputFile: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args, { COMMVAULT_TOKENS_NOW: String(clock.now()) });
  const store = () => h.running.emulator.store.data;
  const named = (name: string) => store().tokens.find((t) => t.tokenName === name);
  /** The pipeline's step: the stack outputs, secrets shown, in the file the consumer reads. */
  const publish = async (): Promise<Outputs> => {
    fs.writeFileSync(outputFile, ok(await pulumi("stack", "output", "--json", ...(sealed ? [] : ["--show-secrets"]))), { mode: 0o600 });
    const written = JSON.parse(fs.readFileSync(outputFile, "utf8")) as Record<string, unknown>;
    if (!sealed) return written as Outputs;
    // Sealed: the file holds no secret at all, and the pair opens with the consumer's identity.
    const live = named("reporting-job")!;
    expect(written).not.toHaveProperty("accessToken");
    expect(JSON.stringify(written)).not.toContain(live.accessToken);
    expect(written.secretFingerprint).toMatch(/^[0-9a-f]{16}$/);
    return (await openSealed(written, [identity])) as Outputs;
  };
  const reports: RunReport[] = [];
  let lostRenews = 0;
  const consume = async (outputs?: Outputs): Promise<RunReport> => {
    const stackOutput = outputs ? parseStackOutput(outputs) : await openStackOutput(JSON.parse(fs.readFileSync(outputFile, "utf8")), sealed ? [identity] : undefined);
    const r = await runOnce({ stackOutput, stateFile, apiUrl: h.running.url, now: clock.now() });
    reports.push(r);
    return r;
  };
  const renewCalls = () => h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length;
  /** Writes that succeeded since `markLog`: logins, lists and the consumer's renewals aside. */
  let mark = 0;
  const markLog = () => (mark = h.running.emulator.log.length);
  const writes = () =>
    h.running.emulator.log.slice(mark).filter((e) => e.method !== "GET" && e.path !== "/login" && e.status === 200 && !e.path.endsWith("/renew")).map((e) => `${e.method} ${e.path}`).sort();
  /** A just-renewed access token: 30 minutes from the emulator's clock, which ticks on in real time. */
  const expectFresh = (r: RunReport) => {
    const left = Date.parse(r.accessTokenExpiresAt) / 1000 - clock.now();
    expect(left).toBeGreaterThanOrEqual(30 * 60);
    expect(left).toBeLessThan(30 * 60 + 10);
  };
  let gen1: Outputs;
  let gen2: Outputs;

  beforeAll(async () => {
    clock.day(0);
    cli = plainCli();
    const files = fs.readdirSync(EXAMPLE).filter((f) => fs.statSync(path.join(EXAMPLE, f)).isFile() && f !== ".gitignore");
    dir = cli.program(Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(EXAMPLE, f), "utf8")])));
    stateFile = path.join(dir, ".consumer", "state.json");
    outputFile = path.join(dir, "stack-output.json");
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    if (sealed) {
      identity = await generateX25519Identity();
      keyFile = path.join(dir, "key.txt");
      fs.writeFileSync(keyFile, `# public key: ${await identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });
      ok(await pulumi("config", "set", "--path", "token-consumer:sealTo[0]", await identityToRecipient(identity)));
    }
    ok(await pulumi("up", "--yes", "--skip-preview"));
  });
  afterAll(() => clock.reset());

  test("day 0: the first run renews the bootstrap pair once, keeps the new pair to itself and calls the API as the service account", async () => {
    gen1 = await publish();
    expect(gen1).toMatchObject({ generation: 1, renewableUntil: iso(dayFloor(clock.start + 30 * DAY)) });
    clock.set(clock.start + 60); // the emulator's clock ran on during the up
    const r = await consume();
    expect(r).toEqual({ tokenId: gen1.tokenId, generation: 1, switched: true, renewed: true, user: "svc-reporting", accessTokenExpiresAt: r.accessTokenExpiresAt, renewableUntil: gen1.renewableUntil });
    expectFresh(r);
    expect(renewCalls()).toBe(1);
    const s = loadState(stateFile)!;
    expect(s).toMatchObject({ tokenId: gen1.tokenId, adopted: [gen1.tokenId] });
    expect([s.accessToken, s.refreshToken]).not.toContain(gen1.accessToken);
    expect(s.refreshToken).not.toBe(gen1.refreshToken);
    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    // The copy in Pulumi state no longer opens the API.
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: gen1.accessToken })).status).toBe(401);
    // Sealed, the state never held it at all.
    if (sealed) for (const secret of [gen1.accessToken, gen1.refreshToken]) expect(ok(await pulumi("stack", "export"))).not.toContain(secret);
  });

  test("within the half hour: time left, it only uses the token; under 5 minutes left, the CLI renews and prints no secret", async () => {
    clock.set(clock.now() + 10 * 60);
    expect(await consume()).toMatchObject({ renewed: false, switched: false });
    const before = loadState(stateFile)!;
    const cliNow = clock.now() + 16 * 60; // 4 minutes left
    clock.set(cliNow);
    const r = await run(
      process.execPath,
      [
        "-r", require.resolve("ts-node/register/transpile-only"), path.join(EXAMPLE, "consumer.ts"),
        "--api-url", h.running.url, "--stack-output", outputFile, "--state", stateFile, ...(sealed ? ["--identity", keyFile] : []),
      ],
      { cwd: dir, env: { ...process.env, COMMVAULT_TOKENS_NOW: String(cliNow) } },
    );
    const after = loadState(stateFile)!;
    for (const secret of [before.accessToken, before.refreshToken, after.accessToken, after.refreshToken, gen1.accessToken, gen1.refreshToken]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false });
    expectFresh(report);
    reports.push(report);
    clock.set(cliNow + 60);
    expect(await consume()).toMatchObject({ renewed: false });
    expect(renewCalls()).toBe(2);
  });

  test("days 1 to 19: every run renews from the consumer's own pair, and the drift gate sees a healthy token", async () => {
    for (const day of [1, 5, 10, 15, 19]) {
      clock.day(day);
      expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, switched: false });
    }
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
  });

  test("day 20: `pulumi up --refresh` extends the lifetime in place with one PUT; the consumer is untouched and its next renew carries the new end", async () => {
    const held = fs.readFileSync(stateFile, "utf8");
    clock.day(20);
    markLog();
    ok(await pulumi("up", "--refresh", "--yes", "--skip-preview"));
    expect(writes()).toEqual([`PUT /v4/accesstoken/${gen1.tokenId}`]);
    const extended = await publish();
    // Same token, same bootstrap pair: an extension is not a new secret, and the provider never renews.
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
    // The pipeline has not published the new outputs yet: the consumer renews the old token, aside.
    clock.set(clock.now() + 28 * 60);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, user: "svc-reporting" });
    clock.day(32);
    expect(await consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true });
    gen2 = await publish();
    expect(gen2.generation).toBe(2);
    expect(gen2.tokenId).not.toBe(gen1.tokenId);
    clock.day(33);
    expect(await consume()).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: true, renewed: true, user: "svc-reporting" });
    // A stale copy of the old outputs: ignored. Sending its spent pair would revoke the old token.
    const calls = renewCalls();
    expect(await consume(gen1)).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: false, renewed: false });
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

  test("day 38: a renew whose answer is lost stops the consumer without a replay; a rotationTrigger gives it a new generation", async () => {
    clock.day(38);
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken/renew", count: 1 });
    const calls = renewCalls();
    await expect(consume()).rejects.toThrow(/the renew's answer was lost .*will not renew it again.*rotationTrigger/);
    lostRenews++;
    // The server did rotate the pair: the consumer's pair is spent, and sending it would revoke the token.
    const spent = loadState(stateFile)!;
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
    expect(await consume()).toMatchObject({ tokenId: gen3.tokenId, generation: 3, switched: true, renewed: true, user: "svc-reporting" });
  });

  test("38 days, 5 deployments and 2 refresh previews: all 15 renewals the emulator saw were the consumer's", () => {
    expect(reports.filter((r) => r.renewed).length + lostRenews).toBe(15);
    expect(renewCalls()).toBe(15);
  });
});
