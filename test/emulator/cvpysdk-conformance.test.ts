import { ADMIN, ALICE, DAY, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { CvPySdk, SdkException } from "./cvpysdk-replay";

/**
 * Commvault's Python SDK against the emulator: exactly the requests it sends (reference section
 * 12), read exactly where it reads them, in both error variants (contract section 6).
 */
describe.each([false, true])("cvpysdk conformance, errorsAsHttp200 %s", (errorsAsHttp200) => {
  const h = useEmulator({ variants: { errorsAsHttp200 } });
  const now = () => h.running.emulator.clock.now();
  const sdkAs = async (username: string, password: string) => {
    const sdk = new CvPySdk(h.running.url);
    expect(await sdk.isValidService()).toBe(true);
    await sdk.login(username, password);
    return sdk;
  };

  test("the way in: reachability without auth, login, WhoAmI with a session, with `Bearer <t>` and with a bare token", async () => {
    const sdk = new CvPySdk(h.running.url);
    expect(await sdk.isValidService()).toBe(true);
    expect(await sdk.login(ADMIN.username, ADMIN.password)).toMatch(/^QSDK /);
    expect(await sdk.whoAmI()).toBe("admin");

    const alice = await sdkAs(ALICE.username, ALICE.password);
    const at = (await alice.createAccessToken({ token_name: "mine" })).accessToken as string;
    for (const given of [`Bearer ${at}`, at]) {
      const byToken = new CvPySdk(h.running.url);
      byToken.useToken(given);
      expect(await byToken.whoAmI()).toBe("alice");
    }
    const [first, login, whoami] = sdk.sent;
    expect([first, login, whoami]).toEqual(["GET /commandcenter/api/", "POST /commandcenter/api/Login", "POST /commandcenter/api/WhoAmI"]);
  });

  test("a token's whole life as the SDK drives it: doubled slashes, no tokenType for the default scope, the other scope's lifetime, IP ranges", async () => {
    const sdk = await sdkAs(ADMIN.username, ADMIN.password);
    const until = now() + 100 * DAY;
    const ips = ["192.168.1.1-192.168.1.255", "10.0.0.0/24", "2001:db8::1", "2001:db8::/32"];
    const all = await sdk.createAccessToken({ token_name: "backup", service_account_id: SVC_BACKUP, renewable_until_time: until, token_expiry_time: now() + 5 * DAY, ip_allowlist: ips });
    expect(sdk.sent.at(-1)).toBe("POST /commandcenter/api//V4/AccessToken");
    // The keys the SDK documents for All and Custom.
    expect(all).toMatchObject({ tokenName: "backup", userId: SVC_BACKUP, tokenType: 2, renewableUntilTimestamp: until });
    for (const k of ["accessTokenId", "accessToken", "refreshToken", "tokenExpiryTimestamp", "refreshTokenExpiryTimestamp"]) expect(all).toHaveProperty(k);
    expect(all.tokenExpiryTimestamp).toBeLessThanOrEqual(now() + 30 * 60);

    // A SCIM token with both lifetime fields: the renewable-until is ignored. Its documented keys, no refresh.
    const expiry = now() + 20 * DAY;
    const scim = await sdk.createAccessToken({ token_name: "scim", token_type: 1, service_account_id: SVC_BACKUP, token_expiry_time: expiry, renewable_until_time: now() + 300 * DAY });
    expect(scim).toMatchObject({ tokenName: "scim", userId: SVC_BACKUP, tokenExpiryTimestamp: expiry });
    expect(Object.keys(scim)).toEqual(expect.arrayContaining(["accessTokenId", "tokenName", "accessToken", "userId", "tokenExpiryTimestamp"]));
    expect(scim.refreshToken).toBeUndefined();
    expect(scim.renewableUntilTimestamp).toBeUndefined();

    const custom = await sdk.createAccessToken({ token_name: "custom", token_type: 3, service_account_id: SVC_BACKUP, api_endpoints: ["/client", "/v4/servergroup"] });
    expect(custom.tokenType).toBe(3);

    const listed = await sdk.getAccessTokens(SVC_BACKUP);
    expect(sdk.sent.at(-1)).toBe(`GET /commandcenter/api//V4/AccessToken/?userId=${SVC_BACKUP}`);
    expect(listed.errorCode ?? 0).toBe(0);
    const tokens = listed.tokens as Record<string, unknown>[];
    expect(tokens.map((t) => t.tokenName).sort()).toEqual(["backup", "custom", "scim"]);
    expect(tokens.find((t) => t.tokenName === "backup")).toMatchObject({ allowedIPs: ips, renewableUntilTimestamp: until });

    const later = now() + 200 * DAY;
    const edited = await sdk.editAccessToken(all.accessTokenId as number, { token_name: "backup-2", renewable_until_time: later, token_expiry_time: now() + DAY, ip_allowlist: ["172.16.0.1-172.16.0.9", "127.0.0.1-127.0.0.9"] });
    expect(sdk.sent.at(-1)).toBe(`PUT /commandcenter/api//V4/AccessToken/${all.accessTokenId}`);
    expect(edited).toMatchObject({ accessTokenId: all.accessTokenId, tokenName: "backup-2", renewableUntilTimestamp: later, tokenExpiryTimestamp: all.tokenExpiryTimestamp });
    const scimEdited = await sdk.editAccessToken(scim.accessTokenId as number, { renewable_until_time: now() + DAY });
    expect(scimEdited.tokenExpiryTimestamp).toBe(expiry);

    const renewed = await sdk.renewAccessToken(all.accessToken as string, all.refreshToken as string);
    expect(sdk.sent.at(-1)).toBe("POST /commandcenter/api//V4/AccessToken/Renew");
    expect(renewed).toMatchObject({ accessTokenId: all.accessTokenId, tokenName: "backup-2", userId: SVC_BACKUP, tokenType: 2, renewableUntilTimestamp: later });
    expect(renewed.accessToken).not.toBe(all.accessToken);
    // The new secret works from inside the edited allow list (this test calls from 127.0.0.1).
    const byToken = new CvPySdk(h.running.url);
    byToken.useToken(`Bearer ${renewed.accessToken as string}`);
    expect(await byToken.whoAmI()).toBe("svc-backup");

    expect(await sdk.deleteAccessToken(all.accessTokenId as number)).toEqual({ errorCode: 0, errorMessage: "" });
    expect(sdk.sent.at(-1)).toBe(`DELETE /commandcenter/api//V4/AccessToken/${all.accessTokenId}`);
    expect(((await sdk.getAccessTokens(SVC_BACKUP)).tokens as unknown[]).length).toBe(2);
  });

  test("a session that expired for idleness is renewed by RenewLoginToken and the call goes through", async () => {
    const sdk = await sdkAs(ALICE.username, ALICE.password);
    const before = sdk.authtoken;
    h.running.emulator.clock.advance(31 * 60);
    const listed = await sdk.getAccessTokens(ALICE.userId);
    expect(listed.tokens).toEqual([]);
    expect(sdk.authtoken).not.toBe(before);
    const renewals = h.running.emulator.log.filter((e) => e.path === "/renewlogintoken").map((e) => e.status);
    expect(renewals).toEqual([200]);
    expect(h.running.emulator.log.filter((e) => e.path === "/v4/accesstoken").map((e) => e.status)).toEqual([401, 200]);
  });

  test("a logged-out session is not renewed: the SDK reports the server's errLogMessage", async () => {
    const sdk = await sdkAs(ALICE.username, ALICE.password);
    await sdk.logout();
    await expect(sdk.getAccessTokens(ALICE.userId)).rejects.toThrow(/^CVPySDK 101: Error: "Invalid session: it was logged out or never existed; log in again"$/);
  });

  // Each error reaches the SDK's user with the server's message: as the SDK's own exception when
  // it comes as HTTP 200 in the shape the SDK reads for that call, as "Response was not success"
  // with the raw body otherwise.
  const errors: [string, string, number, string, (admin: CvPySdk, alice: CvPySdk) => Promise<unknown>][] = [
    ["create: a taken name", "User 104", 400, "Token name already present", async (a) => {
      await a.createAccessToken({ token_name: "dup" });
      return a.createAccessToken({ token_name: "DUP" });
    }],
    ["create: a token for another person", "User 104", 403, "You cannot create an access token for another user", (a) => a.createAccessToken({ token_name: "x", service_account_id: ALICE.userId })],
    ["create: an unknown user", "User 104", 404, "User not found", (a) => a.createAccessToken({ token_name: "x", service_account_id: 4242 })],
    ["edit: an unknown token", "User 106", 404, "Access token not found", (a) => a.editAccessToken(4242, { token_name: "x" })],
    ["edit: a forbidden scope change", "User 106", 400, "Scope cannot be changed for this access token", async (a) => {
      const scim = await a.createAccessToken({ token_name: "s", token_type: 1 });
      return a.editAccessToken(scim.accessTokenId as number, { token_type: 2 });
    }],
    ["delete: an unknown token", "User 107", 404, "Access token not found", (a) => a.deleteAccessToken(4242)],
    ["delete: another user's token, as an end user", "User 107", 403, "User does not have the required permission", async (a, b) => {
      const svc = await a.createAccessToken({ token_name: "svc", service_account_id: SVC_BACKUP });
      return b.deleteAccessToken(svc.accessTokenId as number);
    }],
    ["list: an unknown user", "User 108", 404, "User not found", (a) => a.getAccessTokens(4242)],
    ["list: another user's tokens, as an end user", "User 108", 403, "User does not have the required permission", (_a, b) => b.getAccessTokens(SVC_BACKUP)],
    ["renew: an unknown token", "User 109", 404, "Access token not found", (a) => a.renewAccessToken("feedface", "cafe")],
    ["renew: a wrong refresh token", "User 109", 400, "Invalid refresh token", async (a) => {
      const t = await a.createAccessToken({ token_name: "r" });
      return a.renewAccessToken(t.accessToken as string, "not-it");
    }],
  ];
  test.each(errors)("%s reaches the SDK's user with the server's message", async (_what, sdkId, status, message, run) => {
    const admin = await sdkAs(ADMIN.username, ADMIN.password);
    const alice = await sdkAs(ALICE.username, ALICE.password);
    const e = await run(admin, alice).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SdkException);
    const { id, message: text } = e as SdkException;
    if (errorsAsHttp200) {
      expect(id).toBe(sdkId);
      expect(text).toContain(message);
    } else {
      expect(id).toBe("Response 101");
      const body = JSON.parse(text.replace(/^Response 101: /, ""));
      expect(body).toEqual({ errorCode: expect.any(Number), errorMessage: expect.stringContaining(message) });
      expect(h.running.emulator.log.at(-1)?.status).toBe(status);
    }
  });
});
