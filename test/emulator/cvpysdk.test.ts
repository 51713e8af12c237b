import { createHash } from "node:crypto";
import * as path from "node:path";
import { ALICE, DAY, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { selfSignedCert } from "../helpers/tls";
import { projectPython, runPython } from "../helpers/venv";

jest.setTimeout(120_000);

const DRIVER = path.join(ROOT, "test/python/cvpysdk_driver.py");
const fp = (secret: string | undefined) => createHash("sha256").update(secret ?? "").digest("hex").slice(0, 16);

type Failure = { sdk: string | null; message?: string };
type Sent = { call: string; auth: string | null };
type Info = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Out = Record<string, any> & { sent: Sent[] };

/** The SDK's own text for each of its exceptions that a server error reaches (cvpysdk/exception.py). */
const SDK_TEXT: Record<string, string> = {
  "User 104": "Unable to create Access token for user",
  "User 106": "Unable to update Access token details",
  "User 107": "Unable to delete Access token",
  "User 108": "Unable to get Access tokens for user",
  "User 109": "Unable to renew Access tokens",
};

let python: string;
beforeAll(async () => {
  python = await projectPython();
}, 600_000);

/**
 * Issue 20 item 4: Commvault's own Python SDK (cvpysdk from PyPI, pinned) against the emulator,
 * through its own code (test/python/cvpysdk_driver.py), in both error variants of contract section 6.
 * Each test runs one scenario in one Python process and checks what the SDK returned or raised,
 * what it sent, and what the emulator logged and stored.
 */
describe.each([false, true])("cvpysdk 11.44 drives the emulator, errorsAsHttp200 %s", (errorsAsHttp200) => {
  const h = useEmulator({ variants: { errorsAsHttp200 } });
  /** The emulator's log from the scenario's start (the harness logs in admin and alice before). */
  let mark = 0;
  const log = () => h.running.emulator.log.slice(mark);
  const statuses = (p: string, method?: string) => log().filter((e) => e.path === p && (!method || e.method === method)).map((e) => e.status);
  const drive = async (scenario: string): Promise<Out> => {
    mark = h.running.emulator.log.length;
    const r = await runPython(python, [DRIVER, scenario, h.running.url]);
    if (r.code !== 0) throw new Error(`cvpysdk_driver.py ${scenario} exited ${r.code}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as Out;
  };
  /** A server refusal as the SDK's user sees it: its own exception when the error came as HTTP 200, else "Response 101" with the raw body. */
  const refusal = (f: Failure, sdk: string, message: string) => {
    if (errorsAsHttp200) {
      expect(f).toEqual({ sdk, message: `${SDK_TEXT[sdk]}\n${message}` });
    } else {
      expect(f.sdk).toBe("Response 101");
      expect(f.message).toMatch(/^Response was not success\n/);
      expect(JSON.parse(f.message!.replace(/^Response was not success\n/, ""))).toEqual({ errorCode: expect.any(Number), errorMessage: message });
    }
  };
  const status = (s: number) => (errorsAsHttp200 ? 200 : s);

  test("the way in: the reachability check, login and its refusal, a token given as Bearer, bare or a session, a dead token", async () => {
    const out = await drive("way-in");
    expect(out.admin).toEqual({ user: "admin", authtoken: "QSDK" });
    // The check comes first and carries no Authtoken; then the login, with none either.
    expect(out.sent.slice(0, 2)).toEqual([
      { call: "GET /commandcenter/api/", auth: null },
      { call: "POST /commandcenter/api/Login", auth: null },
    ]);
    expect(out.wrongPassword).toEqual({ sdk: "CVPySDK 101", message: 'Failed to Login with the credentials provided\nError: "Invalid Username or Password"' });
    // A base that does not answer HTTP 200 to the check: the SDK stops before it sends a login.
    expect(out.unreachable).toEqual({ sdk: "Commcell 101", message: expect.stringMatching(/^Commcell is not reachable/) });
    const wrongBase = out.sent.findIndex((s) => s.call === "GET /wrong/api/");
    expect(out.sent[wrongBase + 1]).toEqual({ call: "GET /commandcenter/api/", auth: null });
    // Logins: admin, the wrong password (HTTP 200 with errList, in both variants), alice.
    expect(statuses("/login")).toEqual([200, 200, 200]);

    // `Bearer <t>` is kept; a bare token is given `QSDK `; both, and a Custom token, and a session, name alice.
    expect(out.byToken).toEqual({
      bearer: { user: "alice", authtoken: "Bearer" },
      bare: { user: "alice", authtoken: "QSDK" },
      customBearer: { user: "alice", authtoken: "Bearer" },
      session: { user: "alice", authtoken: "QSDK" },
    });
    expect(out.sent.filter((s) => s.call === "POST /commandcenter/api/WhoAmI").map((s) => s.auth)).toEqual(["Bearer", "QSDK", "Bearer", "QSDK", "Bearer", "QSDK"]);
    expect(log().filter((e) => e.path === "/whoami").map((e) => `${e.status} ${e.via ?? "-"}`)).toEqual(["200 token", "200 token", "200 token", "200 session", "401 -", "401 -"]);
    // A deleted token: under Bearer the SDK gives up; bare, it asks RenewLoginToken once, which refuses.
    expect(out.deadBearer).toEqual({ sdk: "CVPySDK 106", message: "The token has expired. Please login again" });
    expect(out.deadBare).toEqual({ sdk: "CVPySDK 101", message: expect.stringContaining('Error: "Invalid session: it was logged out or never existed; log in again"') });
    expect(statuses("/renewlogintoken")).toEqual([200]);
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["sdk-custom"]);
  });

  test("a token's whole life: create in four scopes, list, rename, lifetime, allow list, scope among All/Custom/Hyperscale, a refused scope change, renew, delete", async () => {
    const out = await drive("lifecycle");
    const now = out.now as number;
    const ips = ["192.168.1.1-192.168.1.255", "10.0.0.0/24", "2001:db8::1", "2001:db8::/32"];
    const all = out.all as Info;
    expect(all).toMatchObject({ tokenName: "backup", userId: SVC_BACKUP, tokenType: 2, renewableUntilTimestamp: now + 100 * DAY });
    for (const k of ["accessTokenId", "accessToken", "refreshToken", "tokenExpiryTimestamp", "refreshTokenExpiryTimestamp"]) expect(all).toHaveProperty(k);
    expect(all.tokenExpiryTimestamp).toBeLessThanOrEqual(now + 30 * 60 + 5);
    // What the SDK put on the wire: no tokenType for the default scope, the other scope's lifetime as given.
    const creates = log().filter((e) => e.method === "POST" && e.path === "/v4/accesstoken");
    expect(creates[0].body).toEqual({ tokenName: "backup", userId: SVC_BACKUP, renewableUntilTimestamp: now + 100 * DAY, tokenExpiryTimestamp: now + 5 * DAY, allowedIPs: ips });

    expect(out.scim).toEqual({ accessTokenId: expect.any(Number), tokenName: "scim", userId: SVC_BACKUP, tokenType: 1, accessToken: expect.any(String), tokenExpiryTimestamp: now + 20 * DAY });
    expect(out.custom).toMatchObject({ tokenName: "custom", tokenType: 3, refreshToken: expect.any(String) });
    expect(out.hyperscale).toMatchObject({ tokenName: "hyperscale", tokenType: 5, refreshToken: expect.any(String), renewableUntilTimestamp: now + 50 * DAY });

    const listed = out.listed.tokens as Info[];
    expect(listed.map((t) => t.tokenName)).toEqual(["backup", "scim", "custom", "hyperscale"]);
    expect(listed[0]).toMatchObject({ allowedIPs: ips, renewableUntilTimestamp: now + 100 * DAY });
    expect(listed[2]).toMatchObject({ apiEndpoints: ["/client", "/v4/servergroup"] });
    for (const t of listed) expect(Object.keys(t)).not.toEqual(expect.arrayContaining(["accessToken"]));
    expect(out.ownList.tokens).toEqual([]);

    // Edits: the other scope's lifetime ignored, the allow list replaced, scope All → Custom → Hyperscale → All.
    expect(out.renamed).toEqual({ accessTokenId: all.accessTokenId, tokenName: "backup-2", tokenType: 2, renewableUntilTimestamp: now + 200 * DAY, tokenExpiryTimestamp: all.tokenExpiryTimestamp });
    expect([out.toCustom.tokenType, out.toHyperscale.tokenType, out.toAll.tokenType]).toEqual([3, 5, 2]);
    const puts = log().filter((e) => e.method === "PUT").map((e) => e.body);
    expect(puts.slice(1, 5)).toEqual([{ tokenName: "backup-2" }, { tokenType: 3, apiEndpoints: ["/client"] }, { tokenType: 5 }, { tokenType: 2 }]);
    expect(out.scimEdited).toMatchObject({ tokenType: 1, tokenExpiryTimestamp: now + 20 * DAY });
    refusal(out.refusedScope, "User 106", "Scope cannot be changed for this access token");
    refusal(out.toScim, "User 106", "Scope cannot be changed for this access token");
    expect(statuses("/v4/accesstoken/" + String(out.scim.accessTokenId), "PUT")).toEqual([200, status(400)]);
    expect((out.afterEdits.tokens as Info[]).map((t) => [t.tokenName, t.tokenType])).toEqual([["backup-2", 2], ["scim", 1], ["custom", 3], ["hyperscale", 5]]);
    expect((out.afterEdits.tokens as Info[])[0].allowedIPs).toEqual(["172.16.0.1-172.16.0.9", "127.0.0.1-127.0.0.9"]);

    // Renew: same id, both secrets new; the new one works from inside the new allow list, the old one not.
    expect(out.renewed).toMatchObject({ accessTokenId: all.accessTokenId, tokenName: "backup-2", userId: SVC_BACKUP, tokenType: 2, renewableUntilTimestamp: now + 200 * DAY });
    expect(out.renewed.accessToken).not.toBe(all.accessToken);
    expect(out.renewed.refreshToken).not.toBe(all.refreshToken);
    expect(out.renewedWorks).toBe("svc-backup");
    expect(out.oldDead).toEqual({ sdk: "CVPySDK 106", message: "The token has expired. Please login again" });
    expect(out.deleted).toEqual({ errorCode: 0, errorMessage: "" });
    expect(out.deletedDead).toEqual(out.oldDead);
    expect((out.afterDelete.tokens as Info[]).map((t) => t.tokenName)).toEqual(["scim", "custom", "hyperscale"]);

    // The store: the deleted token gone, the others hold the secrets the SDK was given.
    const store = h.running.emulator.store.data.tokens;
    expect(store.find((t) => t.accessTokenId === all.accessTokenId)).toBeUndefined();
    for (const name of ["scim", "custom", "hyperscale"]) expect(fp(store.find((t) => t.tokenName === name)?.accessToken)).toBe(out[name].accessToken);
    expect(fp(store.find((t) => t.tokenName === "custom")?.refreshToken)).toBe(out.custom.refreshToken);

    // The paths it builds (services.py), doubled slash included, always under its session.
    const id = String(all.accessTokenId);
    const tokenCalls = out.sent.filter((s) => s.call.includes("/V4/"));
    expect(new Set(tokenCalls.map((s) => s.call))).toEqual(
      new Set([
        "POST /commandcenter/api//V4/AccessToken",
        `GET /commandcenter/api//V4/AccessToken/?userId=${SVC_BACKUP}`,
        "GET /commandcenter/api//V4/AccessToken/?userId=1",
        `PUT /commandcenter/api//V4/AccessToken/${id}`,
        `PUT /commandcenter/api//V4/AccessToken/${String(out.scim.accessTokenId)}`,
        "POST /commandcenter/api//V4/AccessToken/Renew",
        `DELETE /commandcenter/api//V4/AccessToken/${id}`,
      ]),
    );
    expect(new Set(tokenCalls.map((s) => s.auth))).toEqual(new Set(["QSDK"]));
  });

  // Each server error reaches the SDK's user with the server's words (contract section 6).
  const errors: [string, string, number, string][] = [
    ["createTakenName", "User 104", 400, "Token name already present"],
    ["createForPerson", "User 104", 403, "You cannot create an access token for another user"],
    ["createUnknownUser", "User 104", 404, "User not found"],
    ["editUnknown", "User 106", 404, "Access token not found"],
    ["editScope", "User 106", 400, "Scope cannot be changed for this access token"],
    ["deleteUnknown", "User 107", 404, "Access token not found"],
    ["deleteOthers", "User 107", 403, "User does not have the required permission: Administrative Management or User Management"],
    ["listUnknownUser", "User 108", 404, "User not found"],
    ["listOthers", "User 108", 403, "User does not have the required permission: Administrative Management or User Management"],
    ["renewUnknown", "User 109", 404, "Access token not found"],
    ["renewWrongRefresh", "User 109", 400, "Invalid refresh token"],
    ["renewScim", "User 109", 400, "Renew is not supported for this token type"],
  ];
  test("every refusal reaches the SDK's user with the server's message, in the shape the SDK reads for that call", async () => {
    const out = await drive("errors");
    for (const [name, sdk, , message] of errors) refusal(out[name], sdk, message);
    // The SDK's own check: an edit of the endpoints alone never reaches the server (cvpysdk refuses it).
    expect(out.editNoInput).toEqual({ sdk: "User 105", message: expect.stringContaining("At least one input is required") });
    // The cases as the emulator answered them, in order, after 2 logins and 4 creates.
    const answered = log().filter((e) => e.path !== "/" && e.path !== "/login").slice(4);
    expect(answered.map((e) => e.status)).toEqual(errors.map(([, , s]) => status(s)));
    // Nothing was written by a refused call.
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName).sort()).toEqual(["dup", "r", "s", "svc"]);
  });

  test("sessions: an idle one is renewed by RenewLoginToken, a logged-out one is not; an expired access token renews itself and may list but not create", async () => {
    const out = await drive("session");
    expect(out.afterIdle).toEqual({ error: { errorCode: 0, errorMessage: "" }, tokens: [] });
    expect(out.sessionRenewed).toBe(true);
    expect(out.loggedOut).toEqual({ sdk: "CVPySDK 101", message: 'Failed to Login with the credentials provided\nError: "Invalid session: it was logged out or never existed; log in again"' });
    // Idle: 401, renewed, again 200. Logged out: 401, RenewLoginToken refuses (HTTP 200 with an error).
    expect(statuses("/renewlogintoken")).toEqual([200, 200]);
    expect(out.sent.filter((s) => s.call.endsWith("RenewLoginToken")).length).toBe(2);
    // A second logout gets Commvault's documented text, which the SDK hands back (a 401 would have
    // sent it to RenewLoginToken and out as "Failed to Login").
    expect(out.secondLogout).toBe("Invalid authorization token provided.");
    expect(statuses("/logout")).toEqual([200, 200]);

    expect(out.expiredToken).toEqual({ sdk: "CVPySDK 106", message: "The token has expired. Please login again" });
    // The renew carried the expired token in Authtoken; the emulator went by the pair in the body.
    expect(out.sent.find((s) => s.call.endsWith("/Renew"))).toEqual({ call: "POST /commandcenter/api//V4/AccessToken/Renew", auth: "Bearer" });
    expect(statuses("/v4/accesstoken/renew")).toEqual([200]);
    const self = h.running.emulator.store.data.tokens.find((t) => t.tokenName === "self")!;
    expect(out.selfRenewed).toMatchObject({ accessTokenId: self.accessTokenId, userId: ALICE.userId, accessToken: fp(self.accessToken), refreshToken: fp(self.refreshToken) });
    expect(self.chain).toHaveLength(1);
    expect(out.tokenLists).toEqual(["self"]);
    refusal(out.tokenCannotCreate, "User 104", "Access token creation not allowed using another access token");
    expect(statuses("/v4/accesstoken", "POST")).toEqual([200, status(403)]);
  });
});

describe("cvpysdk 11.44 over HTTPS", () => {
  const tls = selfSignedCert();
  const h = useEmulator({ tls: { key: tls.key, cert: tls.cert } });

  test("with the CA file as certificate_path it checks, logs in and lists; without it the certificate check fails and the SDK calls the server unreachable", async () => {
    expect(h.running.url).toMatch(/^https:\/\//);
    const r = await runPython(python, [DRIVER, "tls", h.running.url], { env: { CVPYSDK_CA: tls.certFile } });
    if (r.code !== 0) throw new Error(r.stderr);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.withCa).toEqual({ user: "admin", tokens: [] });
    expect(out.withoutCa).toEqual({ sdk: "Commcell 101", message: expect.stringMatching(/^Commcell is not reachable/) });
    // Two checks sent; the second failed its handshake, so the emulator saw only the first (a full
    // https:// URL gets no http:// fall-back).
    expect(out.sent.filter((s) => s.call === "GET /commandcenter/api/").length).toBe(2);
    expect(h.running.emulator.log.map((e) => `${e.method} ${e.path}`)).toEqual(["GET /", "POST /login", "GET /v4/accesstoken"]);
  });
});
