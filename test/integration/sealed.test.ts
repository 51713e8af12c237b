import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { importToken } from "../../provider/lifecycle/import";
import { provider as dynamicProvider } from "../../provider/lifecycle/provider";
import { setNoteSink } from "../../provider/connection/runtime";
import { fingerprint, openPair } from "../../provider/lifecycle/seal";
import { ADMIN, DAY, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { CheckFailed, configure, refresh, up, type Deployed } from "../helpers/lifecycle";
import { RenewingConsumer, sharedClock } from "../helpers/time";

/**
 * Issue 23 items 2 and 4 through the core (both doors call it): with sealTo the pair is sealed
 * inside create and rotate, and nothing the provider returns holds it in plaintext.
 */
describe("sealTo: the pair sealed to age recipients inside the provider", () => {
  const h = useEmulator();
  const notes: string[] = [];
  let alice: { identity: string; recipient: string };
  let bob: { identity: string; recipient: string };
  const key = async () => {
    const identity = await generateX25519Identity();
    return { identity, recipient: await identityToRecipient(identity) };
  };
  const stored = (tokenId: number) => h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === tokenId)!;
  const plaintextIn = (o: unknown, tokenId: number) => {
    const t = stored(tokenId);
    const text = JSON.stringify(o);
    return text.includes(t.accessToken) || (t.refreshToken !== undefined && text.includes(t.refreshToken));
  };

  beforeAll(async () => {
    alice = await key();
    bob = await key();
  });
  beforeEach(async () => {
    notes.length = 0;
    setNoteSink((_, message) => notes.push(message));
    await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
  });
  afterAll(() => setNoteSink(undefined));

  test("create: outputs carry the armored ciphertext and the fingerprint, never the pair; the identity opens it", async () => {
    const d = await up({ name: "sealed", sealTo: [alice.recipient], userId: SVC_BACKUP });
    expect(d.outs.accessToken).toBeUndefined();
    expect(d.outs.refreshToken).toBeUndefined();
    expect(d.outs.sealedPair).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n?$/);
    expect(plaintextIn(d.outs, d.outs.tokenId)).toBe(false);
    const t = stored(d.outs.tokenId);
    expect(await openPair(alice.identity, d.outs.sealedPair)).toEqual({ accessToken: t.accessToken, refreshToken: t.refreshToken });
    expect(d.outs.secretFingerprint).toBe(fingerprint(t.accessToken));
    expect(d.outs.secretFingerprint).toMatch(/^[0-9a-f]{16}$/);
    await expect(openPair(bob.identity, d.outs.sealedPair)).rejects.toThrow();
  });

  test("a SCIM token's sealed pair has no refreshToken; two recipients each open it", async () => {
    const d = await up({ name: "sealed-scim", scope: "MicrosoftSCIM", sealTo: [bob.recipient, alice.recipient] });
    expect(d.inputs.sealTo).toEqual([alice.recipient, bob.recipient].sort());
    for (const who of [alice, bob]) expect(await openPair(who.identity, d.outs.sealedPair)).toEqual({ accessToken: stored(d.outs.tokenId).accessToken });
  });

  test("a bad recipient is refused at check, naming the entry; nothing is written; a pasted identity is never echoed", async () => {
    const before = h.running.emulator.store.data.tokens.length;
    const typo = alice.recipient.slice(0, -1) + (alice.recipient.endsWith("q") ? "p" : "q");
    const r = await dynamicProvider.check!({}, { name: "bad", sealTo: [alice.recipient, typo, "ssh-ed25519 AAAA", alice.identity] });
    const failures = r.failures ?? [];
    expect(failures.map((f) => f.property)).toEqual(["sealTo[1]", "sealTo[2]", "sealTo[3]"]);
    expect(failures[0].reason).toMatch(/^sealTo\[1\] "age1\S+…" has a wrong checksum/);
    expect(failures[1].reason).toMatch(/^sealTo\[2\] does not start with age1/);
    expect(failures[2].reason).toMatch(/^sealTo\[3\] is an age identity \(a secret key\), not a recipient/);
    expect(JSON.stringify(failures)).not.toContain(alice.identity);
    await expect(up({ name: "bad", sealTo: [] })).rejects.toThrow(CheckFailed);
    expect(h.running.emulator.store.data.tokens.length).toBe(before);
  });

  test("new recipients plan a rotation with its overlap, said at preview with why; the new pair is sealed to them", async () => {
    const d0 = await up({ name: "rekey", sealTo: [alice.recipient] });
    const checked = (await dynamicProvider.check!(d0.inputs, { name: "rekey", sealTo: [bob.recipient] })).inputs;
    expect(checked.generation).toBe(2);
    const diff = await dynamicProvider.diff!(d0.id, d0.outs, checked as never);
    expect(diff).toMatchObject({ changes: true });
    expect(diff.replaces ?? []).toEqual([]);
    expect(notes.join("\n")).toMatch(/a rotation is due \(sealTo changed: the provider kept no copy of the sealed secret to seal again, so a new secret is issued and sealed to the new recipients\); `pulumi up` creates generation 2 under "rekey" and keeps this token working as "rekey~g1" for 7 day\(s\)/);
    const d1 = await up({ name: "rekey", sealTo: [bob.recipient] }, d0);
    expect(d1.outs.tokenId).not.toBe(d0.outs.tokenId);
    expect(d1.outs.previous).toMatchObject({ tokenId: d0.outs.tokenId, name: "rekey~g1" });
    expect(plaintextIn(d1.outs, d1.outs.tokenId)).toBe(false);
    expect((await openPair(bob.identity, d1.outs.sealedPair)).accessToken).toBe(stored(d1.outs.tokenId).accessToken);
    expect(d1.outs.secretFingerprint).not.toBe(d0.outs.secretFingerprint);
    // The old token keeps working for the overlap.
    expect(stored(d0.outs.tokenId).tokenName).toBe("rekey~g1");
  });

  test("sealing a token made without sealTo is a rotation too (rulings 13), never a silent re-creation", async () => {
    const d0 = await up({ name: "late" });
    expect(d0.outs.accessToken).toBeDefined();
    const d1 = await up({ name: "late", sealTo: [alice.recipient] }, d0);
    expect(d1.action).toBe("update");
    expect(notes.join("\n")).toMatch(/sealTo was added: this token's secret was not sealed when it was issued and cannot be sealed now/);
    expect(d1.outs.accessToken).toBeUndefined();
    expect(d1.outs.previous?.tokenId).toBe(d0.outs.tokenId);
    expect(plaintextIn(d1.outs, d1.outs.tokenId)).toBe(false);
  });

  test("unchanged recipients change nothing: a second run and a refresh keep the sealed pair, with no write", async () => {
    const d0 = await up({ name: "steady", sealTo: [alice.recipient], renewableFor: "90d" });
    h.running.emulator.log.length = 0;
    const d1 = await up({ name: "steady", sealTo: [alice.recipient], renewableFor: "90d" }, d0);
    expect(d1.action).toBe("same");
    const r = await refresh(d0);
    expect(r!.outs.sealedPair).toBe(d0.outs.sealedPair);
    expect(r!.outs.secretFingerprint).toBe(d0.outs.secretFingerprint);
    expect(r!.outs.accessToken).toBeUndefined();
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
  });

  test("a scheduled rotation seals the new secret to the same recipients", async () => {
    const now = Math.floor(Date.now() / 1000);
    const d0 = await up({ name: "lives", sealTo: [alice.recipient], renewableFor: "30d", rotation: { everyDays: 10, overlapDays: 1 } });
    process.env.COMMVAULT_TOKENS_NOW = String(now + 11 * DAY);
    h.running.emulator.clock.set(now + 11 * DAY);
    try {
      const d1 = await up({ name: "lives", sealTo: [alice.recipient], renewableFor: "30d", rotation: { everyDays: 10, overlapDays: 1 } }, d0);
      expect(d1.outs.generation).toBe(2);
      expect(d1.outs.accessToken).toBeUndefined();
      expect((await openPair(alice.identity, d1.outs.sealedPair)).accessToken).toBe(stored(d1.outs.tokenId).accessToken);
    } finally {
      delete process.env.COMMVAULT_TOKENS_NOW;
    }
  });

  test("adopting with sealTo: no secret to seal (secretKnown false); thenRotate seals the new one", async () => {
    const made = await h.api.create(h.admin, { tokenName: "hand-made", tokenType: 2 });
    const id = made.body.tokenInfo.accessTokenId as number;
    const plain = await up({ name: "hand-made", sealTo: [alice.recipient], adopt: { tokenId: id } });
    expect(plain.outs).toMatchObject({ secretKnown: false, tokenId: id });
    expect(plain.outs.sealedPair).toBeUndefined();
    const made2 = await h.api.create(h.admin, { tokenName: "hand-made-2", tokenType: 2 });
    const rotated = await up({ name: "hand-made-2", sealTo: [alice.recipient], adopt: { tokenId: made2.body.tokenInfo.accessTokenId as number, thenRotate: true } });
    expect(rotated.outs.accessToken).toBeUndefined();
    expect((await openPair(alice.identity, rotated.outs.sealedPair)).accessToken).toBe(stored(rotated.outs.tokenId).accessToken);
  });
});

/** Issue 23 item 4: health, extension in place and import behave with sealed tokens as without. */
describe("sealTo: health, extension and import are unchanged", () => {
  const h = useEmulator();
  const clock = sharedClock(h);
  let key: { identity: string; recipient: string };
  const stored = (tokenId: number) => h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === tokenId);
  const gate = async (d: Deployed) => {
    const r = (await refresh(d))!;
    const checked = (await dynamicProvider.check!(d.inputs, d.inputs)).inputs;
    const diff = await dynamicProvider.diff!(r.id, r.outs, checked as never);
    return { d: { ...r, inputs: checked }, changes: diff.changes === true, replaces: diff.replaces ?? [] };
  };

  beforeAll(async () => {
    const identity = await generateX25519Identity();
    key = { identity, recipient: await identityToRecipient(identity) };
  });
  beforeEach(async () => {
    clock.day(0);
    // The clock moved: a fresh session for the test's own calls.
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    setNoteSink(() => undefined);
    await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
  });
  afterAll(() => {
    clock.reset();
    setNoteSink(undefined);
  });

  test("a rolling lifetime is extended in place: same token, same sealed pair, no new secret", async () => {
    const d0 = await up({ name: "rolling", sealTo: [key.recipient], renewableFor: "30d", extendWhenLeft: "10d" });
    // Its consumer opens the pair and renews it, as a live token's consumer does.
    const consumer = new RenewingConsumer(h, (await openPair(key.identity, d0.outs.sealedPair)) as { accessToken: string; refreshToken: string });
    for (const day of [7, 14, 21]) {
      clock.day(day);
      await consumer.renew();
    }
    const d1 = await up({ name: "rolling", sealTo: [key.recipient], renewableFor: "30d", extendWhenLeft: "10d" }, d0);
    expect(d1.action).toBe("update");
    expect(d1.outs).toMatchObject({ tokenId: d0.outs.tokenId, sealedPair: d0.outs.sealedPair, secretFingerprint: d0.outs.secretFingerprint });
    expect(d1.outs.renewableUntil).not.toBe(d0.outs.renewableUntil);
    expect(d1.outs.accessToken).toBeUndefined();
  });

  test("a dead token (refresh window lapsed) fails the drift gate and is replaced by a new one, sealed", async () => {
    const d0 = await up({ name: "idle", sealTo: [key.recipient] });
    clock.day(15);
    const g = await gate(d0);
    expect(g).toMatchObject({ changes: true, replaces: ["accessToken"] });
    const d1 = await up(g.d.inputs, g.d);
    expect(d1.action).toBe("delete-replace");
    expect(d1.outs.accessToken).toBeUndefined();
    expect((await openPair(key.identity, d1.outs.sealedPair)).accessToken).toBe(stored(d1.outs.tokenId)!.accessToken);
    expect((await gate(d1)).changes).toBe(false);
  });

  test("pulumi import takes a token over with no secret; declaring sealTo on it then issues a sealed one by rotation", async () => {
    const made = await h.api.create(h.admin, { tokenName: "legacy", tokenType: 2 });
    const id = made.body.tokenInfo.accessTokenId as number;
    const imported = await importToken(`${ADMIN.userId}:${id}`);
    expect(imported.props).toMatchObject({ secretKnown: false, tokenId: id });
    const d0: Deployed = { id: imported.id, inputs: (await dynamicProvider.check!({}, imported.inputs)).inputs as Record<string, unknown>, outs: imported.props as Record<string, unknown> };
    const d1 = await up({ ...imported.inputs, sealTo: [key.recipient] }, d0);
    expect(d1.action).toBe("update");
    expect(d1.outs.previous?.tokenId).toBe(id);
    expect((await openPair(key.identity, d1.outs.sealedPair)).accessToken).toBe(stored(d1.outs.tokenId)!.accessToken);
  });
});
