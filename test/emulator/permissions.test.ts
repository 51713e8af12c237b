import { ADMIN, ALICE, SVC_BACKUP, SVC_REPORTING, useEmulator } from "../helpers/emulator";

describe("emulator: users and permissions (contract sections 2-3)", () => {
  const h = useEmulator();

  test("an administrator creates, lists, modifies and deletes a service account's token by userId", async () => {
    const c = await h.api.create(h.admin, { tokenName: "backup", userId: SVC_BACKUP });
    expect(c.status).toBe(200);
    expect(c.body.tokenInfo.userId).toBe(SVC_BACKUP);
    const list = await h.api.call("GET", `/V4/AccessToken?userId=${SVC_BACKUP}`, { token: h.admin });
    expect(list.body.tokens.map((t: { tokenName: string }) => t.tokenName)).toEqual(["backup"]);
    // The admin's own list does not show it.
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.admin })).body.tokens).toEqual([]);
    const id = c.body.tokenInfo.accessTokenId;
    expect((await h.api.call("PUT", `/V4/AccessToken/${id}`, { token: h.admin, body: { tokenName: "b2" } })).status).toBe(200);
    expect((await h.api.call("DELETE", `/V4/AccessToken/${id}`, { token: h.admin })).status).toBe(200);
  });

  test("nobody creates a token for another person, not even an administrator", async () => {
    for (const token of [h.admin, h.alice]) {
      const r = await h.api.create(token, { tokenName: "x", userId: token === h.admin ? ALICE.userId : ADMIN.userId });
      expect(r.status).toBe(403);
      expect(r.body.errorMessage).toBe("You cannot create an access token for another user");
    }
  });

  test("an administrator modifies and deletes a person's token that the person created", async () => {
    const id = (await h.api.create(h.alice, { tokenName: "mine" })).body.tokenInfo.accessTokenId;
    expect((await h.api.call("GET", `/V4/AccessToken?userId=${ALICE.userId}`, { token: h.admin })).body.tokens).toHaveLength(1);
    expect((await h.api.call("PUT", `/V4/AccessToken/${id}`, { token: h.admin, body: { allowedIPs: ["10.1.0.0/16"] } })).status).toBe(200);
    expect((await h.api.call("DELETE", `/V4/AccessToken/${id}`, { token: h.admin })).status).toBe(200);
  });

  test("an end user is refused on every other user's tokens with a message naming the permission", async () => {
    const svc = (await h.api.create(h.admin, { tokenName: "svc", userId: SVC_REPORTING })).body.tokenInfo.accessTokenId;
    const calls = [
      h.api.create(h.alice, { tokenName: "x", userId: SVC_BACKUP }),
      h.api.call("GET", `/V4/AccessToken?userId=${SVC_REPORTING}`, { token: h.alice }),
      h.api.call("PUT", `/V4/AccessToken/${svc}`, { token: h.alice, body: { tokenName: "y" } }),
      h.api.call("DELETE", `/V4/AccessToken/${svc}`, { token: h.alice }),
    ];
    for (const r of await Promise.all(calls)) {
      expect(r.status).toBe(403);
      expect(r.body.errorCode).not.toBe(0);
      expect(r.body.errorMessage).toMatch(/permission: Administrative Management/);
    }
    expect((await h.api.call("GET", `/V4/AccessToken?userId=${SVC_REPORTING}`, { token: h.admin })).body.tokens).toHaveLength(1);
  });

  test("an administrator asking for an unknown user gets 404", async () => {
    expect((await h.api.create(h.admin, { tokenName: "x", userId: 4242 })).status).toBe(404);
  });

  test("an access token may list but never create, modify or delete access tokens", async () => {
    const own = (await h.api.create(h.alice, { tokenName: "own" })).body.tokenInfo;
    const at = own.accessToken;
    for (const headers of [{ Authtoken: at }, { Authorization: `Bearer ${at}` }] as Record<string, string>[]) {
      expect((await h.api.call("GET", "/V4/AccessToken", { headers })).status).toBe(200);
      const refused = [
        await h.api.call("POST", "/V4/AccessToken", { headers, body: { tokenName: "via-token" } }),
        await h.api.call("PUT", `/V4/AccessToken/${own.accessTokenId}`, { headers, body: { tokenName: "z" } }),
        await h.api.call("DELETE", `/V4/AccessToken/${own.accessTokenId}`, { headers }),
      ];
      for (const r of refused) {
        expect(r.status).toBe(403);
        expect(r.body.errorMessage).toBe("Access token creation not allowed using another access token");
      }
    }
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens.map((t: { tokenName: string }) => t.tokenName)).toEqual(["own"]);
  });
});
