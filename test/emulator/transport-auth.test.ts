import { ADMIN, ALICE, useEmulator } from "../helpers/emulator";

describe("emulator: transport and authentication (contract sections 1-2)", () => {
  const h = useEmulator();

  test.each(["/v2/WhoAmI", "/V2/WHOAMI", "/v2/whoami/", "//v2//WhoAmI"])("path %s is matched case-insensitively, slashes tolerated", async (path) => {
    const r = await h.api.call("GET", path, { token: h.admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ user: { userId: ADMIN.userId, userName: "admin" }, userId: ADMIN.userId, userName: "admin" });
  });

  test("login takes a base64 password and answers a QSDK session token", async () => {
    const r = await h.api.call("POST", "/Login", { body: { username: "admin", password: Buffer.from("admin-password").toString("base64") } });
    expect(r.status).toBe(200);
    expect(r.body.token).toMatch(/^QSDK [0-9a-f]+$/);
    expect(r.body).toMatchObject({ userName: "admin", userId: 1 });
  });

  test.each([
    ["wrong password", "admin", "nope"],
    ["plaintext instead of base64", "admin", null],
    ["unknown user", "mallory", "x"],
    ["service account (no password, cannot log in)", "svc-backup", ""],
  ])("a failed login (%s) is HTTP 200 with errList and no token", async (_why, username, password) => {
    const pw = password === null ? "admin-password" : Buffer.from(password).toString("base64");
    const r = await h.api.call("POST", "/Login", { body: { username, password: pw } });
    expect(r.status).toBe(200);
    expect(r.body.token).toBeUndefined();
    expect(r.body.errList[0].errorCode).not.toBe(0);
    expect(r.body.errList[0].errLogMessage).toBe("Invalid Username or Password");
  });

  test("all four header forms are accepted", async () => {
    const hex = h.admin.replace(/^QSDK /, "");
    for (const headers of [{ Authtoken: `QSDK ${hex}` }, { authtoken: hex }, { AUTHTOKEN: `Bearer ${hex}` }, { authorization: `Bearer ${hex}` }] as Record<string, string>[]) {
      const r = await h.api.call("GET", "/v2/WhoAmI", { headers });
      expect(r.status).toBe(200);
    }
  });

  test("no credential, or an unknown one, is 401 errorCode 5 Access denied", async () => {
    for (const token of [undefined, "QSDK deadbeef"]) {
      const r = await h.api.call("GET", "/User", { token });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ errorCode: 5, errorMessage: "Access denied" });
    }
  });

  test("a session expires after its timeout without use, and use keeps it alive", async () => {
    const emu = h.running.emulator;
    emu.clock.advance(29 * 60);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(200);
    emu.clock.advance(29 * 60);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(200);
    emu.clock.advance(31 * 60);
    const r = await h.api.call("GET", "/v2/WhoAmI", { token: h.admin });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ errorCode: 5, errorMessage: "Access denied" });
  });

  test("the login timeout parameter sets the session's idle limit", async () => {
    const r = await h.api.call("POST", "/Login", { body: { username: "alice", password: Buffer.from(ALICE.password).toString("base64"), timeout: 5 } });
    h.running.emulator.clock.advance(6 * 60);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: r.body.token })).status).toBe(401);
  });

  test("logout ends the session", async () => {
    expect((await h.api.call("POST", "/Logout", { token: h.alice })).status).toBe(200);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.alice })).status).toBe(401);
  });

  test("logout of a token the server does not know answers Commvault's text; no token, or an idle session, the usual 401", async () => {
    await h.api.call("POST", "/Logout", { token: h.alice });
    for (const token of [h.alice, "QSDK 0123abcd"]) {
      expect(await h.api.call("POST", "/Logout", { token })).toMatchObject({ status: 200, body: "Invalid authorization token provided." });
    }
    expect((await h.api.call("POST", "/Logout")).status).toBe(401);
    h.running.emulator.clock.advance(31 * 60);
    expect((await h.api.call("POST", "/Logout", { token: h.admin })).status).toBe(401);
    // The idle session is still there to renew: the 401 ended nothing.
    expect(h.running.emulator.store.data.sessions.some((s) => h.admin.endsWith(s.token))).toBe(true);
  });

  test("GET /User lists users with their type", async () => {
    const r = await h.api.call("GET", "/User", { token: h.alice });
    expect(r.status).toBe(200);
    expect(r.body.users).toEqual(
      expect.arrayContaining([
        { userEntity: { userId: 1, userName: "admin" }, userType: "user", enabled: true },
        { userEntity: { userId: 21, userName: "svc-backup" }, userType: "service", enabled: true },
      ]),
    );
  });

  test("paths outside /commandcenter/api and unknown APIs answer 404", async () => {
    expect((await fetch(h.api.url.replace("/commandcenter/api", "/webconsole/api/v2/WhoAmI"))).status).toBe(404);
    expect((await h.api.call("GET", "/NoSuchThing", { token: h.admin })).status).toBe(404);
  });

  test("a body that is not JSON is a 400", async () => {
    const r = await h.api.call("POST", "/V4/AccessToken", { token: h.admin, body: "{nope" });
    expect(r.status).toBe(400);
    expect(r.body.errorCode).not.toBe(0);
  });
});

describe("emulator: the control surface is off unless asked for", () => {
  const h = useEmulator({ control: false });

  test("/__emulator/ answers 404 without --control", async () => {
    const res = await fetch(`${h.api.control}/store`);
    expect(res.status).toBe(404);
  });
});
