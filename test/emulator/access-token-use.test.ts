import { DAY, useEmulator } from "../helpers/emulator";

describe("emulator: using an access token (allow lists, endpoints, expiry)", () => {
  const h = useEmulator({ trustForwardedFor: true });

  async function tokenWith(body: Record<string, unknown>): Promise<string> {
    const r = await h.api.create(h.alice, { tokenName: `t${Math.random()}`, ...body });
    expect(r.status).toBe(200);
    return r.body.tokenInfo.accessToken;
  }
  const from = (token: string, ip: string, path = "/v2/WhoAmI") =>
    h.api.call("GET", path, { headers: { Authtoken: token, "X-Forwarded-For": ip } });

  test.each([
    ["an IPv4 address", "192.0.2.10", "192.0.2.10", "192.0.2.11"],
    ["an IPv4 CIDR", "10.20.0.0/16", "10.20.255.1", "10.21.0.1"],
    ["an IPv4 range", "192.0.2.10-192.0.2.20", "192.0.2.20", "192.0.2.21"],
    ["an IPv6 address, compressed", "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::2"],
    ["an IPv6 CIDR", "2001:db8:abcd::/48", "2001:db8:abcd:ffff::1", "2001:db8:abce::1"],
    ["an IPv6 range", "2001:db8::10-2001:db8::20", "2001:db8::1f", "2001:db8::21"],
    ["IPv4 matched by its IPv6-mapped form", "198.51.100.0/24", "::ffff:198.51.100.7", "::ffff:198.51.101.7"],
  ])("%s: inside is let in, outside is 401 Access denied", async (_what, entry, inside, outside) => {
    const token = await tokenWith({ allowedIPs: [entry] });
    expect((await from(token, inside)).status).toBe(200);
    const r = await from(token, outside);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ errorCode: 5, errorMessage: "Access denied" });
  });

  test("an empty allow list lets everyone in", async () => {
    const token = await tokenWith({ allowedIPs: [] });
    expect((await from(token, "203.0.113.9")).status).toBe(200);
  });

  test("a Custom token may call only below its endpoints (403 Access denied elsewhere)", async () => {
    const token = await tokenWith({ tokenType: 3, apiEndpoints: ["/V4/AccessToken"] });
    expect((await from(token, "127.0.0.1", "/V4/AccessToken")).status).toBe(200);
    const r = await from(token, "127.0.0.1", "/User");
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ errorCode: 5, errorMessage: "Access denied" });
  });

  test("a 1-Touch token may call its documented APIs only", async () => {
    const token = await tokenWith({ tokenType: 4 });
    // /Client is not served by the emulator: past the scope check it is a 404, not a 403.
    expect((await from(token, "127.0.0.1", "/Client")).status).toBe(404);
    expect((await from(token, "127.0.0.1", "/User")).status).toBe(403);
  });

  test("an access token expires after 30 minutes; a SCIM token at its expiry", async () => {
    const all = await tokenWith({});
    const scim = await tokenWith({ tokenType: 1, tokenExpiryTimestamp: Math.floor(Date.now() / 1000) + 2 * DAY });
    h.running.emulator.clock.advance(31 * 60);
    expect((await from(all, "127.0.0.1")).status).toBe(401);
    expect((await from(scim, "127.0.0.1")).status).toBe(200);
    h.running.emulator.clock.advance(2 * DAY);
    expect((await from(scim, "127.0.0.1")).status).toBe(401);
  });

  test("use updates lastUsedTime", async () => {
    const token = await tokenWith({});
    await from(token, "127.0.0.1");
    const listed = (await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0];
    expect(listed.lastUsedTime).toBeGreaterThan(0);
  });
});
