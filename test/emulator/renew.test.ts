import { DAY, useEmulator } from "../helpers/emulator";

describe("emulator: renew (contract section 4)", () => {
  const h = useEmulator();
  const renew = (accessToken: string, refreshToken: string) =>
    h.api.call("POST", "/V4/AccessToken/Renew", { body: { accessToken, refreshToken } });

  test("renew needs no header, rotates both secrets, keeps the id, answers flat", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "r" })).body.tokenInfo;
    h.running.emulator.clock.advance(40 * 60);
    const r = await renew(c.accessToken, c.refreshToken);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accessTokenId: c.accessTokenId, tokenName: "r", userId: 11, tokenType: 2, renewableUntilTimestamp: c.renewableUntilTimestamp });
    expect(r.body.accessToken).not.toBe(c.accessToken);
    expect(r.body.refreshToken).not.toBe(c.refreshToken);
    expect(r.body.tokenInfo).toBeUndefined();
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: r.body.accessToken })).status).toBe(200);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(401);
  });

  test("replaying an older pair deletes the token", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "replay" })).body.tokenInfo;
    const next = (await renew(c.accessToken, c.refreshToken)).body;
    const r = await renew(c.accessToken, c.refreshToken);
    expect(r.status).toBe(400);
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens).toEqual([]);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: next.accessToken })).status).toBe(401);
  });

  test("a wrong refresh token is 400 and changes nothing", async () => {
    const c = (await h.api.create(h.alice, { tokenName: "w" })).body.tokenInfo;
    const r = await renew(c.accessToken, "not-the-refresh-token");
    expect(r.status).toBe(400);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: c.accessToken })).status).toBe(200);
  });

  test("an unknown token is 404; a SCIM or 1-Touch token is 400", async () => {
    expect((await renew("feedface", "x")).status).toBe(404);
    for (const tokenType of [1, 4]) {
      const c = (await h.api.create(h.alice, { tokenName: `f${tokenType}`, tokenType })).body.tokenInfo;
      const r = await renew(c.accessToken, "anything");
      expect(r.status).toBe(400);
    }
  });

  test.each([
    ["after the refresh window (access expiry + 14 days)", 15 * DAY, undefined],
    ["after renewable-until", 3 * DAY, 2 * DAY],
  ])("renew %s is refused with the documented message", async (_why, advance, until) => {
    const body: Record<string, unknown> = { tokenName: "late" };
    if (until) body.renewableUntilTimestamp = Math.floor(Date.now() / 1000) + until;
    const c = (await h.api.create(h.alice, body)).body.tokenInfo;
    h.running.emulator.clock.advance(advance);
    const r = await renew(c.accessToken, c.refreshToken);
    expect(r.status).toBe(400);
    expect(r.body.errorMessage).toBe("Renew request placed after the permissible time limit");
  });
});
