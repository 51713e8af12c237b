import { SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { interruptedRig } from "../helpers/interrupted";
import { up } from "../helpers/lifecycle";
import { captureStderr as stderr } from "../helpers/notes";
import { DAY, RenewingConsumer, dayFloor, iso, sharedClock } from "../helpers/time";
import { setUrnSource } from "../../provider/connection/runtime";
import { createBoundS } from "../../provider/lifecycle/create";

/**
 * A `pulumi up` killed while a create's POST was on the wire: the server made the token, the
 * engine never got the answer (nor the secret), and the next `up` creates the resource again.
 * Simulated as the engine leaves it: a token on the server under the name, made with the request
 * the provider sends for these inputs, then a new run (configure) with the same inputs.
 */
describe("a token that a run cut short left under the name", () => {
  const h = useEmulator();
  const clock = sharedClock(h);
  const { confirm, newRun, login } = interruptedRig(h, clock);
  const deletes = () => h.running.emulator.log.filter((e) => e.method === "DELETE").map((e) => e.path);
  const named = (name: string) => h.running.emulator.store.data.tokens.filter((t) => t.userId === SVC_BACKUP && t.tokenName.toLowerCase() === name.toLowerCase());
  /** What the killed run's POST made: the provider's request body for these inputs, sent at the clock's time. */
  const leftBehind = async (body: Record<string, unknown>) => {
    await login();
    const r = await h.api.create(h.admin, { userId: SVC_BACKUP, ...body });
    expect(r.status).toBe(200);
    return (r.body.tokenInfo as { accessTokenId: number }).accessTokenId;
  };
  /** The killed run's POST, three minutes before the next run, on a CommServe clock two hours ahead of ours. */
  const leftOnClockAhead = async (tokenName: string) => {
    clock.day(0);
    const ours = clock.now();
    h.running.emulator.clock.set(ours + 7200);
    const orphan = await leftBehind({ tokenName });
    process.env.COMMVAULT_TOKENS_NOW = String(ours + 180);
    h.running.emulator.clock.set(ours + 7200 + 180);
    return { ours, orphan };
  };
  /** The next `up`, a few minutes later, with its output. */
  const rerun = async (news: Record<string, unknown>, minutesLater = 3) => {
    clock.set(clock.now() + minutesLater * 60);
    await newRun();
    h.running.emulator.log.length = 0;
    const out = stderr();
    try {
      const d = await up(news);
      return { d, text: out.text() };
    } finally {
      out.restore();
    }
  };
  const CLEAR = /`pulumi refresh --clear-pending-creates --yes`/;

  test.each([
    ["a rolling lifetime", { renewableFor: "90d" }, (t: number) => ({ renewableUntilTimestamp: dayFloor(t + 90 * DAY) })],
    ["a declared date", { renewableUntil: "REL:40" }, (t: number) => ({ renewableUntilTimestamp: dayFloor(t) + 40 * DAY })],
    ["Commvault's default lifetime", {}, () => ({})],
    ["a Custom scope with endpoints and an allow list", { scope: "Custom", apiEndpoints: ["/client", "/v4/servergroup"], ipAllowlist: ["10.0.0.0/24", "192.0.2.7"] }, () => ({ tokenType: 3, apiEndpoints: ["/client", "/v4/servergroup"], allowedIPs: ["10.0.0.0/24", "192.0.2.7"] })],
    ["a Microsoft SCIM token with a rolling expiry", { scope: "MicrosoftSCIM", expiresIn: "20d" }, (t: number) => ({ tokenType: 1, tokenExpiryTimestamp: dayFloor(t + 20 * DAY) })],
  ])("with %s, its id confirmed: recognised, revoked and made again, said by name with the command that clears Pulumi's records", async (_label, extra, sent) => {
    clock.day(0);
    const inputs: Record<string, unknown> = { name: "ci-13", userName: "svc-backup", ...extra };
    if (inputs.renewableUntil === "REL:40") inputs.renewableUntil = iso(dayFloor(clock.now()) + 40 * DAY);
    const orphan = await leftBehind({ tokenName: "ci-13", ...sent(clock.now()) });
    confirm(orphan);
    const { d, text } = await rerun(inputs);
    expect(d.outs.tokenId).not.toBe(orphan);
    expect(d.outs.accessToken).toMatch(/^[0-9a-f]+$/);
    expect(deletes()).toEqual([`/v4/accesstoken/${orphan}`]);
    expect(named("ci-13").map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
    expect(text).toMatch(new RegExp(`access token "ci-13" of user svc-backup: token ${orphan}, created .*, confirmed by COMMVAULT_TOKENS_SETTLE as one that a run cut short left behind while creating it, shows all the evidence of it .*never used nor renewed.*revoking it and creating it again`));
    expect(text).toMatch(CLEAR);
  });

  test("a rolling lifetime resolved before midnight by the killed run and after it by the next: still recognised", async () => {
    clock.set(dayFloor(clock.start) + DAY - 30);
    const orphan = await leftBehind({ tokenName: "night", renewableUntilTimestamp: dayFloor(clock.now() + 90 * DAY) });
    confirm(orphan);
    const { d } = await rerun({ name: "night", userName: "svc-backup", renewableFor: "90d" });
    expect(deletes()).toEqual([`/v4/accesstoken/${orphan}`]);
    // The new token has the date this run resolves: one day later than the killed run's.
    expect(d.outs.renewableUntil).toBe(iso(dayFloor(clock.now()) + 90 * DAY));
  });

  /** No write at all but the logins: nothing revoked, nothing made. */
  const noWrite = () => expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
  const failed = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);

  test("a token that shows all the evidence but is not confirmed is refused before any write, naming it and the command that settles it", async () => {
    clock.day(0);
    const created = clock.now();
    const orphan = await leftBehind({ tokenName: "unconfirmed" });
    const err = await failed(rerun({ name: "unconfirmed", userName: "svc-backup" }));
    // On this machine's clock (the emulator's stands still while the provider adds the time since its Date header: a second or three).
    expect(err?.message).toMatch(new RegExp(`named "unconfirmed" already exists for user svc-backup \\(token id ${orphan}, created \\S+ by this machine's clock, the CommServe's createdTime ${iso(created).replace(".000Z", "").slice(0, 16)}`));
    expect(err?.message).toMatch(/looks like one that a run of this stack cut short left behind while creating this resource \(.*never used nor renewed/);
    expect(err?.message).toMatch(/only Pulumi's own record confirms it \("interrupted while creating"/);
    expect(err?.message).toContain(`run \`COMMVAULT_TOKENS_SETTLE=${orphan} pulumi up\``);
    expect(err?.message).toMatch(CLEAR);
    noWrite();
    expect(named("unconfirmed").map((t) => t.accessTokenId)).toEqual([orphan]);
  });

  test("several unconfirmed leftovers of one run: the command names every id, and run as printed it settles them all", async () => {
    clock.day(0);
    const a = await leftBehind({ tokenName: "left-a" });
    const b = await leftBehind({ tokenName: "left-b" });
    clock.set(clock.now() + 180);
    await newRun();
    h.running.emulator.log.length = 0;
    const first = await failed(up({ name: "left-a", userName: "svc-backup" }));
    const second = await failed(up({ name: "left-b", userName: "svc-backup" }));
    expect(first?.message).toContain(`\`COMMVAULT_TOKENS_SETTLE=${a} pulumi up\``);
    expect(second?.message).toContain(`run \`COMMVAULT_TOKENS_SETTLE=${a},${b} pulumi up\``);
    noWrite();
    // As printed: the variable's value is taken from the last message.
    process.env.COMMVAULT_TOKENS_SETTLE = /COMMVAULT_TOKENS_SETTLE=([\d,]+) pulumi up/.exec(second!.message)![1];
    await newRun();
    h.running.emulator.log.length = 0;
    const da = await up({ name: "left-a", userName: "svc-backup" });
    const db = await up({ name: "left-b", userName: "svc-backup" });
    expect(deletes().sort()).toEqual([`/v4/accesstoken/${a}`, `/v4/accesstoken/${b}`].sort());
    expect(named("left-a").map((t) => t.accessTokenId)).toEqual([da.outs.tokenId]);
    expect(named("left-b").map((t) => t.accessTokenId)).toEqual([db.outs.tokenId]);
    // Each confirmed create waits the settle grace (15 s) for a resource that holds its token.
  }, 90_000);

  test("another stack's token that differs from the declaration is never touched, even when its id is confirmed", async () => {
    clock.day(0);
    const other = await leftBehind({ tokenName: "theirs", renewableUntilTimestamp: dayFloor(clock.now()) + 40 * DAY });
    confirm(other);
    const err = await failed(rerun({ name: "theirs", userName: "svc-backup", renewableFor: "90d" }));
    expect(err?.message).toMatch(new RegExp(`COMMVAULT_TOKENS_SETTLE lists token ${other}, but the evidence does not hold, so it is never revoked`));
    expect(err?.message).toMatch(/because its renewable-until .* is not the declared /);
    noWrite();
    expect(named("theirs").map((t) => t.accessTokenId)).toEqual([other]);
  });

  test.each([
    ["another stack declaring the same name and owner made it"],
    ["someone made it by hand with the same attributes"],
    ["another stack adopted it"],
  ])("a token alike in every way is never touched without confirmation (%s)", async () => {
    // The server shows these cases alike: a token of the declared name, scope and dates, unused.
    clock.day(0);
    const theirs = await leftBehind({ tokenName: "alike" });
    const err = await failed(rerun({ name: "alike", userName: "svc-backup" }));
    expect(err?.message).toContain(`COMMVAULT_TOKENS_SETTLE=${theirs} pulumi up`);
    noWrite();
    expect(named("alike").map((t) => t.accessTokenId)).toEqual([theirs]);
  });

  test("a token renewed by its holder is never touched, even when its id is confirmed", async () => {
    clock.day(0);
    await login();
    const r = await h.api.create(h.admin, { tokenName: "renewed", userId: SVC_BACKUP });
    const info = r.body.tokenInfo as { accessTokenId: number; accessToken: string; refreshToken: string };
    clock.set(clock.now() + 60);
    await new RenewingConsumer(h, { accessToken: info.accessToken, refreshToken: info.refreshToken }).renew();
    confirm(info.accessTokenId);
    const err = await failed(rerun({ name: "renewed", userName: "svc-backup" }));
    // The emulator's Renew leaves lastUsedTime as it was (what Commvault does there is not known):
    // only the moved access expiry shows the renewal.
    expect(h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === info.accessTokenId)?.lastUsedTime).toBeFalsy();
    expect(err?.message).toMatch(/because it has been renewed \(its access token expires at .*, not 30 minutes after its creation at /);
    noWrite();
    expect(named("renewed").map((t) => t.accessTokenId)).toEqual([info.accessTokenId]);
  });

  test("a malformed COMMVAULT_TOKENS_SETTLE is refused by name before any write", async () => {
    clock.day(0);
    await leftBehind({ tokenName: "typo" });
    process.env.COMMVAULT_TOKENS_SETTLE = "12;13";
    const err = await failed(rerun({ name: "typo", userName: "svc-backup" }));
    expect(err?.message).toMatch(/COMMVAULT_TOKENS_SETTLE must be token ids separated by commas .*got "12;13"/);
    noWrite();
  });

  /** The refusal: names the token, why it is not taken for a leftover, and the ways out; nothing is written. */
  const refused = async (inputs: Record<string, unknown>, orphan: number, why: RegExp, minutesLater = 3) => {
    const err = await rerun(inputs, minutesLater).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(new RegExp(`named "${String(inputs.name)}" already exists for user svc-backup \\(token id ${orphan}\\)`, "i"));
    expect(err?.message).toMatch(why);
    expect(err?.message).toMatch(new RegExp(`declaring \`adopt: \\{ tokenId: ${orphan} \\}\``));
    expect(err?.message).toMatch(CLEAR);
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
    expect(named(String(inputs.name)).map((t) => t.accessTokenId)).toEqual([orphan]);
  };

  test("a token that has been used is never touched", async () => {
    clock.day(0);
    await login();
    const r = await h.api.create(h.admin, { tokenName: "used", userId: SVC_BACKUP });
    const { accessTokenId, accessToken } = r.body.tokenInfo as { accessTokenId: number; accessToken: string };
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: accessToken })).status).toBe(200);
    await refused({ name: "used", userName: "svc-backup" }, accessTokenId, /because it has been used \(last at /);
  });

  test.each([
    ["another allow list", { ipAllowlist: ["10.0.0.1"] }, /its IP allow list is not the declared one/],
    ["another declared date", { renewableUntil: "REL:41" }, /its renewable-until .* is not the declared /],
    ["another scope", { scope: "Hyperscale" }, /its scope is not the declared one/],
    ["another rolling period", { renewableFor: "30d" }, /its renewable-until .* is not the declared /],
  ])("a token that differs from the declaration (%s) is never touched", async (_label, extra, why) => {
    clock.day(0);
    const orphan = await leftBehind({ tokenName: "differs", renewableUntilTimestamp: dayFloor(clock.now()) + 40 * DAY });
    const inputs: Record<string, unknown> = { name: "differs", userName: "svc-backup", ...extra };
    if (inputs.renewableUntil === "REL:41") inputs.renewableUntil = iso(dayFloor(clock.now()) + 41 * DAY);
    await refused(inputs, orphan, why);
  });

  test("a token of another case of the name is never touched (the server keeps names as sent)", async () => {
    clock.day(0);
    const orphan = await leftBehind({ tokenName: "Case" });
    await refused({ name: "case", userName: "svc-backup" }, orphan, /it is named "Case", and this create sends "case"/);
  });

  test("a token made more than a day before is never touched", async () => {
    clock.day(0);
    const orphan = await leftBehind({ tokenName: "old" });
    await refused({ name: "old", userName: "svc-backup" }, orphan, /created at .* by this machine.s clock, more than 24 hours before now/, 26 * 60);
  });

  test("a token made after this run started is someone's of now, never a killed run's", async () => {
    clock.day(0);
    await newRun();
    clock.set(clock.now() + 60);
    const orphan = await leftBehind({ tokenName: "now" });
    h.running.emulator.log.length = 0;
    const err = await up({ name: "now", userName: "svc-backup" }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/because it was created at .*, after this run started/);
    expect(deletes()).toEqual([]);
    expect(named("now").map((t) => t.accessTokenId)).toEqual([orphan]);
  });

  test("a CommServe clock 2 h ahead (its Date header says so): its createdTime is put on this machine's clock, so a killed run's token is recognised, printed by this machine's clock, and settled once confirmed", async () => {
    const { ours, orphan } = await leftOnClockAhead("ahead");
    await newRun();
    h.running.emulator.log.length = 0;
    const err = await failed(up({ name: "ahead", userName: "svc-backup" }));
    const said = new RegExp(`token id ${orphan}, created (\\S+) by this machine's clock, the CommServe's createdTime ${iso(ours + 7200)} less its clock's offset of \\+(\\d+) s from its Date header`).exec(err?.message ?? "");
    expect(said).not.toBeNull();
    // Within seconds of this machine's time of the POST (the emulator's clock stands still while the provider's count of the time since the Date header runs).
    expect(Math.abs(Date.parse(said![1]!) / 1000 - ours)).toBeLessThanOrEqual(5);
    expect(Math.abs(Number(said![2]) - 7200)).toBeLessThanOrEqual(5);
    expect(err?.message).toContain(`plus ${createBoundS()} s (the longest a create takes)`);
    expect(err?.message).toContain(`COMMVAULT_TOKENS_SETTLE=${orphan} pulumi up`);
    noWrite();
    confirm(orphan);
    await newRun();
    h.running.emulator.log.length = 0;
    const d = await up({ name: "ahead", userName: "svc-backup" });
    expect(deletes()).toEqual([`/v4/accesstoken/${orphan}`]);
    expect(named("ahead").map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
  }, 60_000);

  test("the same token with no Date header to tell the CommServe's clock: refused as made after this run started, said on the CommServe's clock", async () => {
    const { ours, orphan } = await leftOnClockAhead("ahead-blind");
    h.running.emulator.variants.omitDateHeader = true;
    try {
      await newRun();
      h.running.emulator.log.length = 0;
      const err = await failed(up({ name: "ahead-blind", userName: "svc-backup" }));
      expect(err?.message).toContain(`because it was created at ${iso(ours + 7200)} by the CommServe's clock, after this run started`);
      noWrite();
    } finally {
      h.running.emulator.variants.omitDateHeader = false;
    }
    expect(named("ahead-blind").map((t) => t.accessTokenId)).toEqual([orphan]);
  });

  test("a token that another resource of this stack holds (its diff came first in this run) is never touched", async () => {
    clock.day(0);
    await newRun();
    const a = await up({ name: "shared", userName: "svc-backup" });
    clock.set(clock.now() + 60);
    await newRun();
    expect((await up(a.inputs, a)).action).toBe("same");
    h.running.emulator.log.length = 0;
    const err = await up({ name: "shared", userName: "svc-backup" }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(new RegExp(`\\(token id ${a.outs.tokenId}\\).*because another resource of this stack \\(the resource of access token "shared"\\) holds it`));
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
  });

  test("a confirmed id that a resource of this stack holds, whose diff comes late (its input resolved after 8 s): never revoked; the create waits for that resource's rename and makes its own", async () => {
    clock.day(0);
    await newRun();
    const r1 = await up({ name: "swap-a", userName: "svc-backup" });
    const held = r1.outs.tokenId as number;
    clock.set(clock.now() + 180);
    await newRun();
    confirm(held);
    h.running.emulator.log.length = 0;
    // r2 declares the name; r1, renamed to swap-b by an input that resolves late, is diffed 8 s later.
    const r2 = up({ name: "swap-a", userName: "svc-backup" });
    await new Promise((r) => setTimeout(r, 8_000));
    await up({ name: "swap-b", userName: "svc-backup" }, r1);
    const made = await r2;
    expect(deletes()).toEqual([]);
    expect(named("swap-b").map((t) => t.accessTokenId)).toEqual([held]);
    expect(named("swap-a").map((t) => t.accessTokenId)).toEqual([made.outs.tokenId]);
  }, 60_000);

  test("through the plugin, the refusal names the resource by its URN", async () => {
    clock.day(0);
    await login();
    const r = await h.api.create(h.admin, { tokenName: "plug", userId: SVC_BACKUP });
    const { accessTokenId, accessToken } = r.body.tokenInfo as { accessTokenId: number; accessToken: string };
    await h.api.call("GET", "/v2/WhoAmI", { token: accessToken });
    const urn = "urn:pulumi:dev::p::commvault:index:AccessToken::plug";
    setUrnSource(() => urn);
    const err = await rerun({ name: "plug", userName: "svc-backup" }).catch((e: Error) => e);
    expect((err as Error).message).toContain(`declaring \`adopt: { tokenId: ${accessTokenId} }\` on this resource (${urn}) and running \`pulumi up\``);
  });
});
