import { mayHaveCommitted } from "../../provider/client/client";
import { CommvaultError, CreateAnswerLostError, commvaultError, type FailureInput } from "../../provider/client/errors";
import { Redactor } from "../../provider/client/redact";
import { clientFor, requestLog } from "../helpers/client";
import { ALICE, SVC_BACKUP, useEmulator } from "../helpers/emulator";

describe("client: operations and typed errors", () => {
  const h = useEmulator();

  test("create, list, modify, renew and delete round-trip with validated, typed answers", async () => {
    const { client } = clientFor(h);
    expect(await client.whoAmI()).toEqual({ userId: 1, userName: "admin" });
    const created = await client.createToken({ tokenName: "ci", userId: SVC_BACKUP, tokenType: 3, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.0/8"] });
    expect(created).toMatchObject({ tokenName: "ci", userId: SVC_BACKUP, tokenType: 3 });
    const [listed] = await client.listTokens(SVC_BACKUP);
    expect(listed).toMatchObject({ accessTokenId: created.accessTokenId, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.0/8"] });
    const modified = await client.modifyToken(created.accessTokenId, { tokenName: "ci-2", tokenType: 2 });
    expect(modified).toMatchObject({ accessTokenId: created.accessTokenId, tokenName: "ci-2", tokenType: 2 });
    const renewed = await client.renewToken(created.accessToken, created.refreshToken!);
    expect(renewed.accessTokenId).toBe(created.accessTokenId);
    expect(renewed.accessToken).not.toBe(created.accessToken);
    await client.deleteToken(created.accessTokenId);
    expect(await client.listTokens(SVC_BACKUP)).toEqual([]);
    const users = await client.listUsers();
    expect(users.find((u) => u.userName === "svc-backup")).toEqual({ userId: SVC_BACKUP, userName: "svc-backup", userType: "service", enabled: true });
  });

  test.each([
    ["not-found", "CommvaultNotFoundError", 404, (c: ReturnType<typeof clientFor>["client"]) => c.deleteToken(424242)],
    ["validation", "CommvaultValidationError", 400, (c: ReturnType<typeof clientFor>["client"]) => c.createToken({ tokenName: "x", tokenType: 3 })],
    ["forbidden", "CommvaultForbiddenError", 403, (c: ReturnType<typeof clientFor>["client"]) => c.createToken({ tokenName: "x", userId: ALICE.userId })],
  ])("a %s failure is a typed error carrying Commvault's errorCode and errorMessage", async (kind, name, status, call) => {
    const { client } = clientFor(h);
    const err = await call(client).then(() => undefined, (e: unknown) => e);
    expect(CommvaultError.isInstance(err)).toBe(true);
    const e = err as CommvaultError;
    expect(e).toMatchObject({ kind, name, status });
    expect(e.errorCode).toEqual(expect.any(Number));
    expect(e.errorCode).not.toBe(0);
    expect(e.message).toContain(e.errorMessage!);
  });

  test("a bad password is an unauthorized error that names the user and the settings to check", async () => {
    const { client } = clientFor(h, { password: "wrong" });
    await expect(client.whoAmI()).rejects.toMatchObject({
      kind: "unauthorized",
      message: expect.stringMatching(/log in as "admin" failed: Invalid Username or Password.*commvault:username and commvault:password/),
    });
  });

  test("an answer that breaks the contract is refused with the field named", async () => {
    const { client } = clientFor(h);
    await client.whoAmI();
    h.running.emulator.variants.tokenTypeAsNames = true;
    await client.createToken({ tokenName: "ok" });
    // Corrupt the store so that list answers a numeric tokenName.
    (h.running.emulator.store.data.tokens[0] as unknown as { tokenName: unknown }).tokenName = 42;
    await expect(client.listTokens()).rejects.toMatchObject({ kind: "unexpected-response", message: expect.stringContaining("tokens.0.tokenName") });
  });
});

describe("client: session handling", () => {
  const h = useEmulator();

  test("50 concurrent calls share a single login", async () => {
    const { client } = clientFor(h);
    h.running.emulator.log.length = 0;
    await Promise.all(Array.from({ length: 50 }, () => client.whoAmI()));
    expect(requestLog(h).filter((l) => l.startsWith("POST /login"))).toHaveLength(1);
    expect(requestLog(h).filter((l) => l === "GET /v2/whoami 200")).toHaveLength(50);
  });

  test("on 401 the client logs in again once and repeats the call", async () => {
    const { client } = clientFor(h);
    await client.whoAmI();
    h.running.emulator.clock.advance(31 * 60); // the session times out
    h.running.emulator.log.length = 0;
    await Promise.all([client.listTokens(), client.listUsers()]);
    expect(requestLog(h)).toEqual(expect.arrayContaining(["GET /v4/accesstoken 401", "POST /login 200", "GET /v4/accesstoken 200"]));
    expect(requestLog(h).filter((l) => l.startsWith("POST /login"))).toHaveLength(1);
  });

  test("a 401 that persists after the new login is reported, not looped on", async () => {
    const { client } = clientFor(h);
    await client.whoAmI();
    h.running.emulator.store.data.users[0]!.enabled = false; // sessions of a disabled user are refused
    h.running.emulator.log.length = 0;
    await expect(client.whoAmI()).rejects.toMatchObject({ kind: "unauthorized" });
    expect(requestLog(h).length).toBeLessThanOrEqual(3);
  });

  test.each(["qsdk", "bare", "bearer"] as const)("header style %s authenticates", async (headerStyle) => {
    const { client } = clientFor(h, { headerStyle });
    expect((await client.whoAmI()).userName).toBe("admin");
  });

  test("a failed login is not cached: the next call logs in again", async () => {
    const { client } = clientFor(h);
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, count: 1, path: "/login" });
    await expect(client.whoAmI()).rejects.toMatchObject({ kind: "server", status: 500 });
    expect((await client.whoAmI()).userName).toBe("admin");
  });
});

describe("client: retries", () => {
  const h = useEmulator();

  test.each([429, 502, 503, 504])("HTTP %i is retried with backoff until it passes", async (status) => {
    const { client, rec } = clientFor(h);
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "status", status, count: 2, path: "/v4/accesstoken" });
    expect(await client.listTokens()).toEqual([]);
    expect(rec.retries).toEqual([`list access tokens: HTTP ${status}`, `list access tokens: HTTP ${status}`]);
    if (status === 429) {
      expect(rec.sleeps).toEqual([1000, 1000]); // the emulator's Retry-After: 1
    } else {
      expect(rec.sleeps[1]!).toBeGreaterThan(rec.sleeps[0]!); // exponential
    }
  });

  test("Retry-After is honoured", async () => {
    const { client, rec } = clientFor(h);
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "status", status: 429, retryAfter: 4, count: 1 });
    await client.listUsers();
    expect(rec.sleeps).toEqual([4000]);
  });

  test("connection resets and timeouts are retried", async () => {
    const { client, rec } = clientFor(h, { timeoutMs: 200 });
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { rules: [
      { kind: "reset", count: 1, path: "/user" },
      { kind: "latency", delayMs: 600, count: 1, path: "/user" },
    ] });
    expect((await client.listUsers()).length).toBe(4);
    expect(rec.retries).toHaveLength(2);
    expect(rec.retries.join()).toMatch(/ECONNRESET|ECONNABORTED|ETIMEDOUT/);
  });

  test("retries are bounded in count, and the error says how many attempts were made", async () => {
    const { client, rec } = clientFor(h, { retry: { maxAttempts: 3 } });
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "status", status: 503, path: "/user" });
    const err = (await client.listUsers().catch((e: unknown) => e)) as CommvaultError;
    expect(err).toMatchObject({ kind: "transient", status: 503, attempts: 3 });
    expect(err.message).toMatch(/after 3 attempts.*safe to run the command again/);
    expect(rec.sleeps).toHaveLength(2);
  });

  test("retries are bounded in total time", async () => {
    let clock = 0;
    const { client, rec } = clientFor(h, { retry: { maxElapsedMs: 1000, maxAttempts: 100 } }, {
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "status", status: 503, path: "/user" });
    await expect(client.listUsers()).rejects.toMatchObject({ kind: "transient" });
    expect(clock).toBeLessThanOrEqual(1000);
    expect(rec.retries.length).toBeLessThan(100);
  });

  test("HTTP 500 is not retried: the server understood and failed", async () => {
    const { client, rec } = clientFor(h);
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, count: 1, path: "/user" });
    await expect(client.listUsers()).rejects.toMatchObject({ kind: "server", status: 500 });
    expect(rec.retries).toEqual([]);
  });
});

describe("client: a create is never blindly repeated", () => {
  const h = useEmulator();

  test("an answer lost after the create committed: the client looks the name up, finds it, and does not create again", async () => {
    const { client } = clientFor(h);
    await client.whoAmI();
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
    const err = await client.createToken({ tokenName: "Once", userId: SVC_BACKUP }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CreateAnswerLostError);
    const tokens = await client.listTokens(SVC_BACKUP);
    expect(tokens).toHaveLength(1);
    expect((err as CreateAnswerLostError).accessTokenId).toBe(tokens[0]!.accessTokenId);
    expect(requestLog(h).filter((l) => l.startsWith("POST /v4/accesstoken "))).toHaveLength(1);
  });

  test.each([
    ["a 502", { kind: "status", status: 502 }, { kind: "transient", status: 502 }],
    ["a connection reset", { kind: "reset" }, { kind: "transient", networkCode: "ECONNRESET" }],
  ])("after %s a create is not sent again by the client: one look-up finds nothing, and the failure goes to the caller", async (_what, fault, expected) => {
    const { client } = clientFor(h);
    await client.whoAmI();
    h.running.emulator.log.length = 0;
    await h.api.ctl("POST", "faults", { ...fault, method: "POST", path: "/v4/accesstoken", count: 1 });
    const err = (await client.createToken({ tokenName: "maybe" }).catch((e: unknown) => e)) as CommvaultError;
    expect(err).toMatchObject(expected);
    expect(mayHaveCommitted(err)).toBe(true);
    expect(requestLog(h).filter((l) => l.startsWith("POST /v4/accesstoken"))).toHaveLength(1);
    expect(requestLog(h).filter((l) => l.startsWith("GET /v4/accesstoken"))).toHaveLength(1);
  });

  test("a 429 on create is retried as usual: the server refused it before doing anything", async () => {
    const { client, rec } = clientFor(h);
    await client.whoAmI();
    h.running.emulator.log.length = 0;
    await h.api.ctl("POST", "faults", { kind: "status", status: 429, method: "POST", path: "/v4/accesstoken", count: 1 });
    const created = await client.createToken({ tokenName: "exactly-one" });
    expect(rec.retries).toEqual(['create access token "exactly-one": HTTP 429']);
    expect(requestLog(h).filter((l) => l.startsWith("GET /v4/accesstoken"))).toHaveLength(0);
    expect(await client.listTokens()).toEqual([expect.objectContaining({ accessTokenId: created.accessTokenId })]);
  });

  test("mayHaveCommitted: only a lost answer or a gateway failure may hide a committed call", () => {
    const of = (input: Omit<FailureInput, "operation">) => commvaultError({ operation: "x", ...input }, new Redactor());
    expect(mayHaveCommitted(of({ networkCode: "ECONNRESET" }))).toBe(true);
    expect(mayHaveCommitted(of({ networkCode: "ETIMEDOUT" }))).toBe(true);
    expect(mayHaveCommitted(of({ status: 504 }))).toBe(true);
    expect(mayHaveCommitted(of({ networkCode: "ECONNREFUSED" }))).toBe(false);
    expect(mayHaveCommitted(of({ networkCode: "DEPTH_ZERO_SELF_SIGNED_CERT" }))).toBe(false);
    expect(mayHaveCommitted(of({ status: 429 }))).toBe(false);
    expect(mayHaveCommitted(of({ status: 400, errorCode: 1011, errorMessage: "Token name already present" }))).toBe(false);
  });

  test("renew is not repeated after its answer is lost, since a replay would revoke the token", async () => {
    const { client } = clientFor(h);
    const created = await client.createToken({ tokenName: "renew-once" });
    await h.api.ctl("POST", "faults", { kind: "drop", path: "/v4/accesstoken/renew", count: 1 });
    await expect(client.renewToken(created.accessToken, created.refreshToken!)).rejects.toMatchObject({ kind: "transient" });
    expect(await client.listTokens()).toHaveLength(1);
    expect(requestLog(h).filter((l) => l.startsWith("POST /v4/accesstoken/renew"))).toHaveLength(1);
  });
});

describe("client: section-6 variants", () => {
  const h = useEmulator({ variants: { errorsAsHttp200: true, tokenTypeAsNames: true, omitAllowedIPsInList: true } });

  test("application errors in HTTP 200 become the same typed errors", async () => {
    const { client } = clientFor(h);
    await expect(client.createToken({ tokenName: "x", tokenType: 3 })).rejects.toMatchObject({ kind: "validation", status: 200, errorMessage: expect.stringMatching(/apiEndpoints/) });
    await expect(client.deleteToken(999)).rejects.toMatchObject({ kind: "not-found", errorMessage: "Access token not found" });
    await expect(client.modifyToken(999, { tokenName: "y" })).rejects.toMatchObject({ kind: "not-found" });
    const alice = clientFor(h, { username: "alice", password: ALICE.password }).client;
    await expect(alice.listTokens(SVC_BACKUP)).rejects.toMatchObject({ kind: "forbidden" });
  });

  test("tokenType names become integers; a missing allowedIPs stays unknown", async () => {
    const { client } = clientFor(h);
    const created = await client.createToken({ tokenName: "h", tokenType: 5, allowedIPs: ["10.0.0.1"] });
    expect(created.tokenType).toBe(5);
    const [listed] = await client.listTokens();
    expect(listed!.tokenType).toBe(5);
    expect(listed!.allowedIPs).toBeUndefined();
    expect((await client.modifyToken(created.accessTokenId, { tokenType: 2 })).tokenType).toBe(2);
  });
});

describe("client: the server's clock from the Date header", () => {
  const h = useEmulator();

  test("serverClockNow: the latest Date header plus the time since its answer came, so a wait after the answer does not make the server look behind", async () => {
    let ms = Date.now();
    const { client } = clientFor(h, {}, { now: () => ms });
    expect(client.serverClockNow()).toBeUndefined();
    const ahead = Math.floor(Date.now() / 1000) + 7200;
    h.running.emulator.clock.set(ahead);
    await client.listTokens(SVC_BACKUP);
    const dated = client.serverClock()!;
    expect(client.serverClockNow()).toBe(dated);
    ms += 3_000;
    expect(client.serverClockNow()).toBe(dated + 3);
  });

  test("recorded from the latest answer, an error answer too; a 5xx (a gateway's) or an answer without a readable Date leaves it; forgetServerClock clears it", async () => {
    const { client } = clientFor(h);
    expect(client.serverClock()).toBeUndefined();
    expect(client.heardFrom()).toBe(false);
    const ahead = Math.floor(Date.now() / 1000) + 7200;
    h.running.emulator.clock.set(ahead);
    await client.listTokens(SVC_BACKUP);
    const first = client.serverClock()!;
    expect(first).toBeGreaterThanOrEqual(ahead);
    expect(first).toBeLessThan(ahead + 5);
    // Behind ours as well: a fact read, whatever it says.
    h.running.emulator.clock.set(ahead - 86_400);
    await expect(client.deleteToken(424242)).rejects.toMatchObject({ kind: "not-found" });
    expect(client.serverClock()!).toBeLessThan(ahead - 86_400 + 5);
    const known = client.serverClock();
    h.running.emulator.clock.set(ahead);
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, count: 1, path: "/v2/whoami" });
    await expect(client.whoAmI()).rejects.toMatchObject({ status: 500 });
    expect(client.serverClock()).toBe(known);
    h.running.emulator.variants.omitDateHeader = true;
    await client.listTokens(SVC_BACKUP);
    expect(client.serverClock()).toBe(known);
    expect(client.heardFrom()).toBe(true);
    client.forgetServerClock();
    expect(client.serverClock()).toBeUndefined();
    expect(client.heardFrom()).toBe(false);
  });
});
