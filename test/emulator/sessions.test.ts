import { ADMIN, ALICE, useEmulator } from "../helpers/emulator";

describe("emulator: the SDK's way in (contract sections 1-2)", () => {
  const h = useEmulator();
  const renewLogin = (sessionId: unknown, headers: Record<string, string> = {}) =>
    h.api.call("POST", "/RenewLoginToken", { body: { sessionId, deviceId: "host.example" }, headers });

  test.each(["", "/", "//"])("GET of the base URL%s with no auth header answers 200", async (suffix) => {
    const r = await h.api.call("GET", suffix);
    expect(r.status).toBe(200);
  });

  test("only GET of the base is open: other calls there still need auth", async () => {
    expect((await h.api.call("POST", "/")).status).toBe(401);
  });

  test.each([
    ["POST", "/WhoAmI"],
    ["GET", "/v2/WhoAmI"],
  ])("%s %s answers {user: {userId, userName}, userId, userName} for a session and for an access token", async (method, path) => {
    const session = await h.api.call(method, path, { token: h.alice });
    expect(session.status).toBe(200);
    expect(session.headers.get("content-type")).toContain("application/json");
    expect(session.body).toEqual({ user: { userId: ALICE.userId, userName: "alice" }, userId: ALICE.userId, userName: "alice" });

    // A Custom token scoped elsewhere may still ask who it is.
    const at = (await h.api.create(h.alice, { tokenName: "who", tokenType: 3, apiEndpoints: ["/client"] })).body.tokenInfo.accessToken;
    for (const headers of [{ Authtoken: `Bearer ${at}` }, { Authtoken: `QSDK ${at}` }, { Authorization: `Bearer ${at}` }] as Record<string, string>[]) {
      const r = await h.api.call(method, path, { headers });
      expect(r.status).toBe(200);
      expect(r.body.user.userName).toBe("alice");
    }
    expect((await h.api.call(method, path, { token: "QSDK 0000" })).status).toBe(401);
  });

  test("RenewLoginToken renews a session that expired for idleness: a new token for the same user, and the old one ends", async () => {
    h.running.emulator.clock.advance(31 * 60);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(401);
    // The SDK sends it with the expired token still in its Authtoken header.
    const r = await renewLogin(h.admin, { Authtoken: h.admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ token: expect.stringMatching(/^QSDK [0-9a-f]+$/) });
    expect(r.body.token).not.toBe(h.admin);
    expect((await h.api.call("POST", "/WhoAmI", { token: r.body.token })).body.user).toEqual({ userId: ADMIN.userId, userName: "admin" });
    expect((await renewLogin(h.admin)).body.token).toBeUndefined();
  });

  test("RenewLoginToken renews a live session too, and the renewed one keeps the login's idle timeout", async () => {
    const login = await h.api.call("POST", "/Login", { body: { username: "alice", password: Buffer.from(ALICE.password).toString("base64"), timeout: 5 } });
    const r = await renewLogin(login.body.token);
    expect(r.body.token).toMatch(/^QSDK /);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: login.body.token })).status).toBe(401);
    h.running.emulator.clock.advance(6 * 60);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: r.body.token })).status).toBe(401);
  });

  test.each([
    ["a logged-out session", async () => {
      await h.api.call("POST", "/Logout", { token: h.alice });
      return h.alice;
    }],
    ["an unknown session", async () => "QSDK 0123abcd"],
    ["no sessionId", async () => undefined],
    ["a session of a user since disabled", async () => {
      h.running.emulator.store.data.users.find((u) => u.userName === "alice")!.enabled = false;
      return h.alice;
    }],
  ])("RenewLoginToken refuses %s: HTTP 200 with error.errLogMessage and no token", async (_why, sessionOf) => {
    const r = await renewLogin(await sessionOf());
    expect(r.status).toBe(200);
    expect(r.body.token).toBeUndefined();
    expect(r.body.error.errorCode).not.toBe(0);
    expect(r.body.error.errLogMessage).toMatch(/log in again/);
  });
});
