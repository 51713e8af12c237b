import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { ok } from "../helpers/cli";
import { CONSUMER_EXAMPLE as EXAMPLE, consumerRig, testDays20To37, type Outputs, type Story } from "../helpers/consumer-rig";
import { DAY, dayFloor, iso } from "../helpers/time";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { openStackOutput, parseStackOutput, runOnce, type RunReport } from "../../examples/token-consumer/consumer";
import { openSealed } from "../../examples/token-consumer/sealed";
import { loadState } from "../../examples/token-consumer/state";

jest.setTimeout(600_000);

const run = promisify(execFile);

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
  const rig = consumerRig();
  const { h, clock, pulumi, named, renewCalls, markLog, writes, expectFresh } = rig;
  /** The pipeline's step: the stack outputs, secrets shown, in the file the consumer reads. */
  const publish = async (): Promise<Outputs> => {
    fs.writeFileSync(rig.outputFile, ok(await pulumi("stack", "output", "--json", ...(sealed ? [] : ["--show-secrets"]))), { mode: 0o600 });
    const written = JSON.parse(fs.readFileSync(rig.outputFile, "utf8")) as Record<string, unknown>;
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
    const stackOutput = outputs ? parseStackOutput(outputs) : await openStackOutput(JSON.parse(fs.readFileSync(rig.outputFile, "utf8")), sealed ? [identity] : undefined);
    const r = await runOnce({ stackOutput, stateFile: rig.stateFile, apiUrl: h.running.url, now: clock.now() });
    reports.push(r);
    return r;
  };
  let gen1: Outputs;
  const story: Story = { publish, consume: () => consume(), consumeStale: (outputs) => consume(outputs) };

  beforeAll(() =>
    rig.deploy(async () => {
      if (!sealed) return;
      identity = await generateX25519Identity();
      keyFile = path.join(rig.dir, "key.txt");
      fs.writeFileSync(keyFile, `# public key: ${await identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });
      ok(await pulumi("config", "set", "--path", "token-consumer:sealTo[0]", await identityToRecipient(identity)));
    }),
  );

  test("day 0: the first run renews the bootstrap pair once, keeps the new pair to itself and calls the API as the service account", async () => {
    gen1 = story.gen1 = await publish();
    expect(gen1).toMatchObject({ generation: 1, renewableUntil: iso(dayFloor(clock.start + 30 * DAY)) });
    clock.set(clock.start + 60); // the emulator's clock ran on during the up
    const r = await consume();
    expect(r).toEqual({ tokenId: gen1.tokenId, generation: 1, switched: true, renewed: true, user: "svc-reporting", accessTokenExpiresAt: r.accessTokenExpiresAt, renewableUntil: gen1.renewableUntil });
    expectFresh(r);
    expect(renewCalls()).toBe(1);
    const s = loadState(rig.stateFile)!;
    expect(s).toMatchObject({ tokenId: gen1.tokenId, adopted: [gen1.tokenId] });
    expect([s.accessToken, s.refreshToken]).not.toContain(gen1.accessToken);
    expect(s.refreshToken).not.toBe(gen1.refreshToken);
    expect(fs.statSync(rig.stateFile).mode & 0o777).toBe(0o600);
    // The copy in Pulumi state no longer opens the API.
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: gen1.accessToken })).status).toBe(401);
    // Sealed, the state never held it at all.
    if (sealed) for (const secret of [gen1.accessToken, gen1.refreshToken]) expect(ok(await pulumi("stack", "export"))).not.toContain(secret);
  });

  test("within the half hour: time left, it only uses the token; under 5 minutes left, the CLI renews and prints no secret", async () => {
    clock.set(clock.now() + 10 * 60);
    expect(await consume()).toMatchObject({ renewed: false, switched: false });
    const before = loadState(rig.stateFile)!;
    const cliNow = clock.now() + 16 * 60; // 4 minutes left
    clock.set(cliNow);
    const r = await run(
      process.execPath,
      [
        "-r", require.resolve("ts-node/register/transpile-only"), path.join(EXAMPLE, "consumer.ts"),
        "--api-url", h.running.url, "--stack-output", rig.outputFile, "--state", rig.stateFile, ...(sealed ? ["--identity", keyFile] : []),
      ],
      { cwd: rig.dir, env: { ...process.env, COMMVAULT_TOKENS_NOW: String(cliNow) } },
    );
    const after = loadState(rig.stateFile)!;
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

  testDays20To37(rig, story);

  test("day 38: a renew whose answer is lost stops the consumer without a replay; a rotationTrigger gives it a new generation", async () => {
    clock.day(38);
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken/renew", count: 1 });
    const calls = renewCalls();
    await expect(consume()).rejects.toThrow(/the renew's answer was lost .*will not renew it again.*rotationTrigger/);
    lostRenews++;
    // The server did rotate the pair: the consumer's pair is spent, and sending it would revoke the token.
    const spent = loadState(rig.stateFile)!;
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
    expect(await consume()).toMatchObject({ tokenId: gen3.tokenId, generation: 3, switched: true, renewed: true, user: "svc-reporting" });
  });

  test("38 days, 5 deployments and 2 refresh previews: all 15 renewals the emulator saw were the consumer's", () => {
    expect(reports.filter((r) => r.renewed).length + lostRenews).toBe(15);
    expect(renewCalls()).toBe(15);
  });
});
