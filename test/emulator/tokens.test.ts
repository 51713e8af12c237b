import { ADMIN, ALICE, DAY, SVC_BACKUP, now, useEmulator } from "../helpers/emulator";

const SCOPES = { All: 2, SCIM: 1, Custom: 3, OneTouch: 4, Hyperscale: 5 } as const;
const FIXED = new Set<number>([SCOPES.SCIM, SCOPES.OneTouch]);

/** A valid create body for a scope. */
function bodyFor(tokenType: number, name = `t-${tokenType}`): Record<string, unknown> {
  return { tokenName: name, tokenType, ...(tokenType === SCOPES.Custom ? { apiEndpoints: ["/client"] } : {}) };
}

describe("emulator: create, list, modify, delete (contract section 4)", () => {
  const h = useEmulator();

  test("create All answers the nested envelope with both secrets and the default lifetime", async () => {
    const t0 = now();
    const r = await h.api.create(h.alice, { tokenName: "ci" });
    expect(r.status).toBe(200);
    expect(r.body.error).toEqual({ errorCode: 0, errorMessage: "" });
    const info = r.body.tokenInfo;
    expect(info).toMatchObject({ tokenName: "ci", userId: ALICE.userId, tokenType: 2 });
    expect(info.accessToken).toMatch(/^[0-9a-f]{64,}$/);
    expect(typeof info.refreshToken).toBe("string");
    expect(info.tokenExpiryTimestamp - t0).toBeGreaterThanOrEqual(30 * 60 - 2);
    expect(info.tokenExpiryTimestamp - t0).toBeLessThanOrEqual(30 * 60 + 2);
    expect(Math.abs(info.renewableUntilTimestamp - (t0 + 90 * DAY))).toBeLessThanOrEqual(2);
    expect(info.refreshTokenExpiryTimestamp).toBe(info.tokenExpiryTimestamp + 14 * DAY);
  });

  test.each([
    ["SCIM", SCOPES.SCIM, 30],
    ["1-Touch", SCOPES.OneTouch, 7],
  ])("create %s has no refresh token and expires after %i days by default", async (_n, tokenType, days) => {
    const t0 = now();
    const info = (await h.api.create(h.alice, { tokenName: "x", tokenType })).body.tokenInfo;
    expect(info.refreshToken).toBeUndefined();
    expect(info.renewableUntilTimestamp).toBeUndefined();
    expect(Math.abs(info.tokenExpiryTimestamp - (t0 + days * DAY))).toBeLessThanOrEqual(2);
  });

  test("tokenType is accepted as names, DEFAULT means All", async () => {
    const names = { DEFAULT: 2, MS_SCIM: 1, ALL: 2, CUSTOM: 3, OneTouch: 4, Hyperscale: 5 };
    for (const [name, n] of Object.entries(names)) {
      const r = await h.api.create(h.alice, { ...bodyFor(n, `n-${name}`), tokenType: name });
      expect(r.body.tokenInfo.tokenType).toBe(n);
    }
    expect((await h.api.create(h.alice, { tokenName: "d", tokenType: 0 })).body.tokenInfo.tokenType).toBe(2);
  });

  test.each([
    ["renewable-until beyond 365 days", { tokenName: "a", renewableUntilTimestamp: now() + 366 * DAY }, /at most 365 days/],
    ["renewable-until in the past", { tokenName: "a", renewableUntilTimestamp: now() - 10 }, /future/],
    ["SCIM beyond 365 days", { tokenName: "a", tokenType: 1, tokenExpiryTimestamp: now() + 366 * DAY }, /at most 365 days/],
    ["1-Touch beyond 14 days", { tokenName: "a", tokenType: 4, tokenExpiryTimestamp: now() + 15 * DAY }, /at most 14 days/],
    ["Custom without endpoints", { tokenName: "a", tokenType: 3 }, /apiEndpoints/],
    ["endpoints on an All token", { tokenName: "a", apiEndpoints: ["/client"] }, /only valid for Custom/],
    ["an empty name", { tokenName: "" }, /tokenName/],
    ["a 256-character name", { tokenName: "x".repeat(256) }, /tokenName/],
    ["a missing name", {}, /tokenName/],
    ["a malformed allow list", { tokenName: "a", allowedIPs: ["10.0.0.1", "10.0.0.300", "bogus/8"] }, /10\.0\.0\.300, bogus\/8/],
    ["an unknown scope", { tokenName: "a", tokenType: 9 }, /tokenType/],
  ])("create rejects %s with HTTP 400 flat", async (_why, body, message) => {
    const r = await h.api.create(h.alice, body);
    expect(r.status).toBe(400);
    expect(r.body.errorCode).not.toBe(0);
    expect(r.body.errorMessage).toMatch(message);
    expect(r.body.tokenInfo).toBeUndefined();
  });

  // Contract section 4: the SDK sends both lifetime fields as given and documents the one of the
  // other scope as ignored. Even a value that would be refused for its own scope is ignored.
  test.each([
    ["an All token ignores tokenExpiryTimestamp", { tokenName: "a", tokenExpiryTimestamp: now() - DAY }, 2],
    ["a Custom token ignores tokenExpiryTimestamp", { tokenName: "a", tokenType: 3, apiEndpoints: ["/client"], tokenExpiryTimestamp: now() + 400 * DAY }, 3],
    ["a SCIM token ignores renewableUntilTimestamp", { tokenName: "a", tokenType: 1, renewableUntilTimestamp: now() + 400 * DAY }, 1],
    ["a 1-Touch token ignores renewableUntilTimestamp", { tokenName: "a", tokenType: 4, renewableUntilTimestamp: now() - DAY }, 4],
  ])("create: %s and keeps its own scope's default lifetime", async (_why, body, tokenType) => {
    const t0 = now();
    const r = await h.api.create(h.alice, body);
    expect(r.status).toBe(200);
    const info = r.body.tokenInfo;
    expect(info.tokenType).toBe(tokenType);
    if (FIXED.has(tokenType)) {
      expect(info.renewableUntilTimestamp).toBeUndefined();
      const days = tokenType === SCOPES.SCIM ? 30 : 7;
      expect(Math.abs(info.tokenExpiryTimestamp - (t0 + days * DAY))).toBeLessThanOrEqual(2);
    } else {
      expect(Math.abs(info.renewableUntilTimestamp - (t0 + 90 * DAY))).toBeLessThanOrEqual(2);
      expect(Math.abs(info.tokenExpiryTimestamp - (t0 + 30 * 60))).toBeLessThanOrEqual(2);
    }
  });

  test("modify ignores the lifetime field of the other scope and keeps the token's own, also across a scope change", async () => {
    const all = (await h.api.create(h.alice, { tokenName: "all" })).body.tokenInfo;
    const scim = (await h.api.create(h.alice, { tokenName: "scim", tokenType: 1 })).body.tokenInfo;
    const put = (id: number, body: Record<string, unknown>) => h.api.call("PUT", `/V4/AccessToken/${id}`, { token: h.alice, body });

    const a = await put(all.accessTokenId, { tokenName: "all-2", tokenExpiryTimestamp: now() + 5 * DAY });
    expect(a.status).toBe(200);
    expect(a.body.tokenInfo).toMatchObject({ tokenName: "all-2", renewableUntilTimestamp: all.renewableUntilTimestamp, tokenExpiryTimestamp: all.tokenExpiryTimestamp });

    const s = await put(scim.accessTokenId, { renewableUntilTimestamp: now() + 5 * DAY });
    expect(s.status).toBe(200);
    expect(s.body.tokenInfo.tokenExpiryTimestamp).toBe(scim.tokenExpiryTimestamp);
    expect(s.body.tokenInfo.renewableUntilTimestamp).toBeUndefined();

    // All to Hyperscale with both fields, as the SDK sends them: only renewable-until applies.
    const until = now() + 10 * DAY;
    const hyper = await put(all.accessTokenId, { tokenType: 5, renewableUntilTimestamp: until, tokenExpiryTimestamp: now() + 3 * DAY });
    expect(hyper.body.tokenInfo).toMatchObject({ tokenType: 5, renewableUntilTimestamp: until, tokenExpiryTimestamp: all.tokenExpiryTimestamp });
  });

  test("a 255-character name and the 365-day bound are accepted", async () => {
    expect((await h.api.create(h.alice, { tokenName: "x".repeat(255), renewableUntilTimestamp: now() + 364 * DAY })).status).toBe(200);
  });

  test("names are unique per user, case-insensitively; another user may reuse one", async () => {
    expect((await h.api.create(h.alice, { tokenName: "Deploy" })).status).toBe(200);
    const dup = await h.api.create(h.alice, { tokenName: "deploy" });
    expect(dup.status).toBe(400);
    expect(dup.body.errorMessage).toBe("Token name already present");
    expect((await h.api.create(h.admin, { tokenName: "deploy" })).status).toBe(200);
    expect((await h.api.create(h.admin, { tokenName: "deploy", userId: SVC_BACKUP })).status).toBe(200);
  });

  test("list shows metadata and the allow list, never a secret", async () => {
    const created = (await h.api.create(h.alice, { tokenName: "l", tokenType: 3, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.0/8"] })).body.tokenInfo;
    const r = await h.api.call("GET", "/V4/AccessToken", { token: h.alice });
    expect(r.status).toBe(200);
    expect(r.body.error.errorCode).toBe(0);
    expect(r.body.tokens).toHaveLength(1);
    const t = r.body.tokens[0];
    expect(t).toMatchObject({ accessTokenId: created.accessTokenId, userId: ALICE.userId, tokenName: "l", tokenType: 3, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.0/8"] });
    expect(typeof t.createdTime).toBe("number");
    expect(typeof t.lastUsedTime).toBe("number");
    expect(JSON.stringify(r.body)).not.toContain(created.accessToken);
    expect(JSON.stringify(r.body)).not.toContain(created.refreshToken);
  });

  test("modify is a patch: only the fields sent change; the trimmed tokenInfo answers", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "m", allowedIPs: ["10.0.0.1"] })).body.tokenInfo;
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: { tokenName: "m2" } });
    expect(r.status).toBe(200);
    expect(r.body.tokenInfo).toEqual({ accessTokenId: c.accessTokenId, tokenName: "m2", tokenType: 2, renewableUntilTimestamp: c.renewableUntilTimestamp, tokenExpiryTimestamp: c.tokenExpiryTimestamp });
    const listed = (await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0];
    expect(listed.allowedIPs).toEqual(["10.0.0.1"]);
    // allowedIPs is replaced whole; an empty list lifts the restriction.
    await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: { allowedIPs: [] } });
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0].allowedIPs).toEqual([]);
  });

  test("a rejected modify changes nothing, even the valid fields sent with it", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "keep" })).body.tokenInfo;
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: { tokenName: "changed", allowedIPs: ["nope"] } });
    expect(r.status).toBe(400);
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0].tokenName).toBe("keep");
  });

  test("rename onto another of the user's names is refused; onto its own name in other case is fine", async () => {
    await h.api.create(h.alice, { tokenName: "one" });
    const two = (await h.api.create(h.alice, { tokenName: "two" })).body.tokenInfo;
    expect((await h.api.call("PUT", `/V4/AccessToken/${two.accessTokenId}`, { token: h.alice, body: { tokenName: "ONE" } })).body.errorMessage).toBe("Token name already present");
    expect((await h.api.call("PUT", `/V4/AccessToken/${two.accessTokenId}`, { token: h.alice, body: { tokenName: "TWO" } })).status).toBe(200);
  });

  const pairs = Object.entries(SCOPES).flatMap(([from, f]) => Object.entries(SCOPES).map(([to, t]) => [from, f, to, t] as const));
  test.each(pairs)("scope change %s -> %s follows the matrix", async (_from, f, _to, t) => {
    const c = (await h.api.create(h.alice, bodyFor(f))).body.tokenInfo;
    const patch: Record<string, unknown> = { tokenType: t };
    if (t === SCOPES.Custom && f !== SCOPES.Custom) patch.apiEndpoints = ["/plan"];
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: patch });
    const allowed = f === t || (!FIXED.has(f) && !FIXED.has(t));
    if (allowed) {
      expect(r.status).toBe(200);
      expect(r.body.tokenInfo.tokenType).toBe(t);
      expect(r.body.tokenInfo.accessTokenId).toBe(c.accessTokenId);
    } else {
      expect(r.status).toBe(400);
      expect(r.body.errorMessage).toBe("Scope cannot be changed for this access token");
    }
  });

  test("Custom to All clears the endpoints; All to Custom needs them", async () => {
    const c = (await h.api.create(h.alice, bodyFor(SCOPES.Custom))).body.tokenInfo;
    await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: { tokenType: 2 } });
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0].apiEndpoints).toEqual([]);
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice, body: { tokenType: 3 } });
    expect(r.status).toBe(400);
    expect(r.body.errorMessage).toMatch(/apiEndpoints/);
  });

  test("an expired token can be extended, and then works again", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "scim", tokenType: 1, tokenExpiryTimestamp: now() + DAY })).body.tokenInfo;
    h.running.emulator.clock.advance(2 * DAY);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(401);
    const fresh = await h.api.login(ALICE.username, ALICE.password);
    const until = h.running.emulator.clock.now() + 10 * DAY;
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: fresh, body: { tokenExpiryTimestamp: until } });
    expect(r.status).toBe(200);
    expect(r.body.tokenInfo.tokenExpiryTimestamp).toBe(until);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(200);
  });

  test("extending an All token past its renewable-until is allowed after it lapsed", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "all", renewableUntilTimestamp: now() + DAY })).body.tokenInfo;
    h.running.emulator.clock.advance(3 * DAY);
    const fresh = await h.api.login(ALICE.username, ALICE.password);
    const until = h.running.emulator.clock.now() + 30 * DAY;
    const r = await h.api.call("PUT", `/V4/AccessToken/${c.accessTokenId}`, { token: fresh, body: { renewableUntilTimestamp: until } });
    expect(r.status).toBe(200);
    expect(r.body.tokenInfo.renewableUntilTimestamp).toBe(until);
  });

  test("delete answers flat errorCode 0, the token stops working at once, and a second delete is 404", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "d" })).body.tokenInfo;
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(200);
    const r = await h.api.call("DELETE", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ errorCode: 0, errorMessage: "" });
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(401);
    const again = await h.api.call("DELETE", `/V4/AccessToken/${c.accessTokenId}`, { token: h.alice });
    expect(again.status).toBe(404);
    expect(again.body.errorMessage).toBe("Access token not found");
  });

  test("modify of an unknown id is 404 flat", async () => {
    const r = await h.api.call("PUT", "/V4/AccessToken/99999", { token: h.admin, body: { tokenName: "x" } });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ errorCode: expect.any(Number), errorMessage: "Access token not found" });
  });

  test("ids are never reused, even after a delete", async () => {
    const a = (await h.api.create(h.alice, { tokenName: "a" })).body.tokenInfo.accessTokenId;
    await h.api.call("DELETE", `/V4/AccessToken/${a}`, { token: h.alice });
    const b = (await h.api.create(h.alice, { tokenName: "a" })).body.tokenInfo.accessTokenId;
    expect(b).toBeGreaterThan(a);
    expect(ADMIN.userId).not.toBe(a);
  });
});
