import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, useEmulator } from "./emulator";
import { ok, plainCli, type PlainCli } from "./cli";
import { ROOT } from "./pack";
import { DAY, dayFloor, iso, sharedClock } from "./time";
import type { RunReport } from "../../examples/token-consumer/consumer";

export const CONSUMER_EXAMPLE = path.join(ROOT, "examples/token-consumer");
export type Outputs = Record<string, unknown> & { tokenId: number; generation: number; accessToken: string; refreshToken: string };

/**
 * examples/token-consumer deployed under the plain `pulumi` CLI against the emulator, one clock
 * for both, and what the consumer's end-to-end tests read of the emulator: the part the Node.js
 * and the Python consumer's stories share (test/e2e/consumer*.test.ts). Call it in a describe.
 */
export function consumerRig() {
  const h = useEmulator({}, { fresh: false });
  const clock = sharedClock(h);
  let mark = 0;
  const rig = {
    h,
    clock,
    cli: undefined as unknown as PlainCli,
    dir: "",
    stateFile: "",
    outputFile: "",
    pulumi: (...args: string[]) => rig.cli.pulumi(rig.dir, args, { COMMVAULT_TOKENS_NOW: String(clock.now()) }),
    named: (name: string) => h.running.emulator.store.data.tokens.find((t) => t.tokenName === name),
    renewCalls: () => h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken/renew").length,
    /** From here on, `writes` counts. */
    markLog: () => (mark = h.running.emulator.log.length),
    /** Writes that succeeded since `markLog`: logins, lists, the consumer's renewals and its work aside. */
    writes: () =>
      h.running.emulator.log
        .slice(mark)
        .filter((e) => e.method !== "GET" && e.path !== "/login" && e.status === 200 && !e.path.endsWith("/renew") && e.path !== "/whoami")
        .map((e) => `${e.method} ${e.path}`)
        .sort(),
    since: () => h.running.emulator.log.slice(mark),
    /** A just-renewed access token: 30 minutes from the emulator's clock, which ticks on in real time. */
    expectFresh: (r: RunReport) => {
      const left = Date.parse(r.accessTokenExpiresAt) / 1000 - clock.now();
      expect(left).toBeGreaterThanOrEqual(30 * 60);
      expect(left).toBeLessThan(30 * 60 + 10);
    },
    /** The example in a program folder, its stack and settings (`more` adds some), and the first `up`. */
    async deploy(more?: () => Promise<void>): Promise<void> {
      clock.day(0);
      rig.cli = plainCli();
      const files = fs.readdirSync(CONSUMER_EXAMPLE).filter((f) => fs.statSync(path.join(CONSUMER_EXAMPLE, f)).isFile() && f !== ".gitignore");
      rig.dir = rig.cli.program(Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(CONSUMER_EXAMPLE, f), "utf8")])));
      rig.stateFile = path.join(rig.dir, ".consumer", "state.json");
      rig.outputFile = path.join(rig.dir, "stack-output.json");
      ok(await rig.pulumi("stack", "init", "dev"));
      ok(await rig.pulumi("config", "set", "commvault:url", h.running.url));
      ok(await rig.pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
      await more?.();
      ok(await rig.pulumi("up", "--yes", "--skip-preview"));
    },
  };
  afterAll(() => clock.reset());
  return rig;
}

export type ConsumerRig = ReturnType<typeof consumerRig>;

/** One consumer's side of the story: the pipeline's publish, a run, a run handed a stale copy of old outputs. */
export interface Story {
  publish(): Promise<Outputs>;
  consume(): Promise<RunReport>;
  consumeStale(outputs: Outputs): Promise<RunReport>;
  gen1?: Outputs;
  gen2?: Outputs;
}

/** Day 20: `pulumi up --refresh` extends the lifetime in place with one PUT; the consumer is untouched and its next renew carries the new end. */
async function extendsInPlace(rig: ConsumerRig, story: Story): Promise<void> {
  const gen1 = story.gen1!;
  const held = fs.readFileSync(rig.stateFile, "utf8");
  rig.clock.day(20);
  rig.markLog();
  ok(await rig.pulumi("up", "--refresh", "--yes", "--skip-preview"));
  expect(rig.writes()).toEqual([`PUT /v4/accesstoken/${gen1.tokenId}`]);
  const extended = await story.publish();
  // Same token, same bootstrap pair: an extension is not a new secret, and the provider never renews.
  expect(extended).toEqual({ ...gen1, renewableUntil: iso(dayFloor(rig.clock.now() + 30 * DAY)) });
  expect(fs.readFileSync(rig.stateFile, "utf8")).toBe(held);
  expect(await story.consume()).toMatchObject({ tokenId: gen1.tokenId, renewed: true, switched: false, renewableUntil: extended.renewableUntil });
}

/** Day 30: a rotation; the token kept aside keeps working until the consumer sees the new generation and switches, never back. */
async function rotatesWithOverlap(rig: ConsumerRig, story: Story): Promise<void> {
  const gen1 = story.gen1!;
  rig.clock.day(30);
  expect(await story.consume()).toMatchObject({ tokenId: gen1.tokenId, renewed: true });
  rig.markLog();
  ok(await rig.pulumi("up", "--yes", "--skip-preview"));
  expect(rig.writes()).toEqual([`PUT /v4/accesstoken/${gen1.tokenId}`, "POST /v4/accesstoken"].sort());
  expect(rig.named("reporting-job~g1")?.accessTokenId).toBe(gen1.tokenId);
  // The pipeline has not published the new outputs yet: the consumer renews the old token, aside.
  rig.clock.set(rig.clock.now() + 28 * 60);
  expect(await story.consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true, user: "svc-reporting" });
  rig.clock.day(32);
  expect(await story.consume()).toMatchObject({ tokenId: gen1.tokenId, generation: 1, renewed: true });
  const gen2 = (story.gen2 = await story.publish());
  expect(gen2.generation).toBe(2);
  expect(gen2.tokenId).not.toBe(gen1.tokenId);
  rig.clock.day(33);
  expect(await story.consume()).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: true, renewed: true, user: "svc-reporting" });
  // A stale copy of the old outputs: ignored. Sending its spent pair would revoke the old token.
  const calls = rig.renewCalls();
  expect(await story.consumeStale(gen1)).toMatchObject({ tokenId: gen2.tokenId, generation: 2, switched: false, renewed: false });
  expect(rig.renewCalls()).toBe(calls);
  expect(rig.named("reporting-job~g1")).toBeDefined();
}

/** Day 37: the retirement `up` revokes the old token with one DELETE; the consumer goes on. */
async function retiresTheOld(rig: ConsumerRig, story: Story): Promise<void> {
  rig.clock.day(37);
  rig.markLog();
  ok(await rig.pulumi("up", "--yes", "--skip-preview"));
  expect(rig.writes()).toEqual([`DELETE /v4/accesstoken/${story.gen1!.tokenId}`]);
  expect(rig.named("reporting-job~g1")).toBeUndefined();
  expect(await story.consume()).toMatchObject({ tokenId: story.gen2!.tokenId, generation: 2, renewed: true, user: "svc-reporting" });
  ok(await rig.pulumi("preview", "--refresh", "--expect-no-changes"));
}

/** Days 20, 30 and 37 of a consumer's story, as tests of the describe that calls this, in that order. */
export function testDays20To37(rig: ConsumerRig, story: Story): void {
  test("day 20: `pulumi up --refresh` extends the lifetime in place with one PUT; the consumer is untouched and its next renew carries the new end", () => extendsInPlace(rig, story));
  test("day 30: a rotation; the token kept aside keeps working until the consumer sees the new generation and switches, never back", () => rotatesWithOverlap(rig, story));
  test("day 37: the retirement `up` revokes the old token with one DELETE; the consumer goes on", () => retiresTheOld(rig, story));
}
