import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { Faults } from "../../emulator/faults";
import { RawApi } from "../helpers/raw-api";
import { ADMIN, ALICE, SVC_BACKUP, useEmulator } from "../helpers/emulator";

describe("emulator: fault injection and rate limiting (contract sections 5, 7)", () => {
  const h = useEmulator();

  test("a status fault answers that status for `count` matching requests, then retires", async () => {
    await h.api.ctl("POST", "faults", { kind: "status", status: 503, count: 2, path: "/v2/whoami" });
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(503);
    expect((await h.api.call("GET", "/User", { token: h.admin })).status).toBe(200);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(503);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: h.admin })).status).toBe(200);
  });

  test("an injected 429 carries Retry-After", async () => {
    await h.api.ctl("POST", "faults", { kind: "status", status: 429, retryAfter: 7, count: 1 });
    const r = await h.api.call("GET", "/User", { token: h.admin });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("7");
  });

  test("over the rate limit: 429 with Retry-After and X-RateLimit headers", async () => {
    await h.api.ctl("POST", "rate-limit", { limit: 2, periodSeconds: 60 });
    await h.api.call("GET", "/User", { token: h.admin });
    await h.api.call("GET", "/User", { token: h.admin });
    const r = await h.api.call("GET", "/User", { token: h.admin });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.headers.get("x-ratelimit-limit")).toBe("2");
    expect(r.headers.get("x-ratelimit-period")).toBe("60");
  });

  test("a drop fault commits the change and then closes the connection without an answer", async () => {
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
    await expect(h.api.create(h.alice, { tokenName: "committed" })).rejects.toThrow();
    const list = await h.api.call("GET", "/V4/AccessToken", { token: h.alice });
    expect(list.body.tokens.map((t: { tokenName: string }) => t.tokenName)).toEqual(["committed"]);
  });

  test("a reset fault closes the connection before anything is handled", async () => {
    await h.api.ctl("POST", "faults", { kind: "reset", method: "POST", count: 1, path: "/v4/accesstoken" });
    await expect(h.api.create(h.alice, { tokenName: "never" })).rejects.toThrow();
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens).toEqual([]);
  });

  test("a latency fault delays the answer", async () => {
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 300, count: 1 });
    const t0 = Date.now();
    await h.api.call("GET", "/User", { token: h.admin });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  test("bad fault rules are refused with the reason", async () => {
    const r = await h.api.ctl("POST", "faults", { kind: "status", status: 418 });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/429, 500, 502, 503, 504/);
  });

  test("the clock can be set and advanced; the request log records calls without secrets", async () => {
    const set = await h.api.ctl("POST", "clock", { now: 2_000_000_000 });
    expect(set.body.now).toBe(2_000_000_000);
    expect((await h.api.ctl("POST", "clock", { advance: 60 })).body.now).toBe(2_000_000_060);
    // The jump outlived the sessions: log in again.
    const admin = await h.api.login(ADMIN.username, ADMIN.password);
    const created = (await h.api.create(admin, { tokenName: "logged", userId: SVC_BACKUP })).body.tokenInfo;
    const log = (await h.api.ctl("GET", "requests")).body.requests;
    const create = log.find((e: { method: string; path: string }) => e.method === "POST" && e.path === "/v4/accesstoken");
    expect(create).toMatchObject({ status: 200, userName: "admin", via: "session", body: { tokenName: "logged", userId: SVC_BACKUP } });
    const text = JSON.stringify(log);
    expect(text).not.toContain(created.accessToken);
    expect(text).not.toContain(Buffer.from(ADMIN.password).toString("base64"));
    expect(text).not.toContain(admin.replace("QSDK ", ""));
  });

  test("reset brings back the seed users with no tokens", async () => {
    await h.api.create(h.alice, { tokenName: "gone" });
    await h.api.ctl("POST", "reset");
    const store = (await h.api.ctl("GET", "store")).body;
    expect(store.tokens).toEqual([]);
    expect(store.users.map((u: { userName: string }) => u.userName)).toEqual(["admin", "alice", "svc-backup", "svc-reporting"]);
  });
});

describe("emulator: section-6 variants", () => {
  const h = useEmulator();

  test("an unknown or non-boolean variant is refused with 400, naming the nearest valid key, and nothing changes", async () => {
    const typo = await h.api.ctl("POST", "variants", { errorsAs200: true, omitDateHeader: true });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toBe('unknown variant "errorsAs200"; did you mean "errorsAsHttp200"? The variants are errorsAsHttp200, tokenTypeAsNames, omitAllowedIPsInList, omitDateHeader');
    const wrongType = await h.api.ctl("POST", "variants", { omitDateHeader: "yes" });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error).toBe('variant "omitDateHeader" must be true or false');
    expect((await h.api.ctl("GET", "variants")).body).toEqual({ errorsAsHttp200: false, tokenTypeAsNames: false, omitAllowedIPsInList: false, omitDateHeader: false });
  });

  test("errorsAsHttp200: create and modify errors nest under error; delete, list and renew errors are top-level; all HTTP 200", async () => {
    await h.api.ctl("POST", "variants", { errorsAsHttp200: true });
    const create = await h.api.create(h.alice, { tokenName: "" });
    expect(create.status).toBe(200);
    expect(create.body.error.errorCode).not.toBe(0);
    expect(create.body.tokenInfo).toBeUndefined();
    const modify = await h.api.call("PUT", "/V4/AccessToken/999", { token: h.alice, body: { tokenName: "x" } });
    expect(modify.status).toBe(200);
    expect(modify.body).toEqual({ error: { errorCode: expect.any(Number), errorMessage: "Access token not found" } });
    // Where the SDK reads them: response['errorCode'] / response.get('errorCode').
    const list = await h.api.call("GET", `/V4/AccessToken?userId=${SVC_BACKUP}`, { token: h.alice });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ errorCode: expect.any(Number), errorMessage: expect.stringMatching(/permission/) });
    expect(list.body.errorCode).not.toBe(0);
    const unknownUser = await h.api.call("GET", "/V4/AccessToken?userId=4242", { token: h.admin });
    expect(unknownUser.body).toEqual({ errorCode: expect.any(Number), errorMessage: "User not found" });
    const del = await h.api.call("DELETE", "/V4/AccessToken/999", { token: h.alice });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ errorCode: expect.any(Number), errorMessage: "Access token not found" });
    expect(del.body.errorCode).not.toBe(0);
    const renew = await h.api.call("POST", "/V4/AccessToken/Renew", { body: { accessToken: "feedface", refreshToken: "x" } });
    expect(renew.status).toBe(200);
    expect(renew.body).toEqual({ errorCode: expect.any(Number), errorMessage: "Access token not found" });
    // Authentication failures stay HTTP 401.
    expect((await h.api.call("GET", "/V4/AccessToken", { token: "QSDK 00" })).status).toBe(401);
  });

  test("tokenTypeAsNames returns names in create, list and modify", async () => {
    await h.api.ctl("POST", "variants", { tokenTypeAsNames: true });
    const c = await h.api.create(h.alice, { tokenName: "n", tokenType: 5 });
    expect(c.body.tokenInfo.tokenType).toBe("Hyperscale");
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0].tokenType).toBe("Hyperscale");
    const m = await h.api.call("PUT", `/V4/AccessToken/${c.body.tokenInfo.accessTokenId}`, { token: h.alice, body: { tokenType: 3, apiEndpoints: ["/x"] } });
    expect(m.body.tokenInfo.tokenType).toBe("CUSTOM");
  });

  test("omitAllowedIPsInList leaves the key out of list output", async () => {
    await h.api.ctl("POST", "variants", { omitAllowedIPsInList: true });
    await h.api.create(h.alice, { tokenName: "o", allowedIPs: ["10.0.0.1"] });
    const t = (await h.api.call("GET", "/V4/AccessToken", { token: h.alice })).body.tokens[0];
    expect("allowedIPs" in t).toBe(false);
  });

  test("every answer is dated (RFC 7231 Date) by the emulator's settable clock, a refusal and an injected fault too; omitDateHeader leaves it out", async () => {
    const ahead = Math.floor(Date.now() / 1000) + 3 * 86_400 + 7;
    await h.api.ctl("POST", "clock", { now: ahead });
    const dated = async (r: Promise<{ headers: Headers }>) => {
      const date = (await r).headers.get("date");
      expect(date).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      return Date.parse(date!) / 1000;
    };
    for (const r of [
      h.api.call("GET", "/V4/AccessToken", { token: h.admin }),
      h.api.create(h.admin, { tokenName: "old", renewableUntilTimestamp: ahead - 60 }),
      h.api.call("GET", "/V4/AccessToken"),
    ]) {
      const at = await dated(r);
      expect(at).toBeGreaterThanOrEqual(ahead);
      expect(at).toBeLessThan(ahead + 5);
    }
    await h.api.ctl("POST", "faults", { kind: "status", status: 503, count: 1 });
    expect(await dated(h.api.call("GET", "/User", { token: h.admin }))).toBeGreaterThanOrEqual(ahead);
    await h.api.ctl("POST", "variants", { omitDateHeader: true });
    expect((await h.api.call("GET", "/V4/AccessToken", { token: h.admin })).headers.get("date")).toBeNull();
  });
});

describe("emulator: --data persistence", () => {
  test("a token and a session created before a restart are there after it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-emu-"));
    const dataFile = path.join(dir, "store.json");
    const first = await startEmulator({ dataFile });
    const api1 = new RawApi(first.url);
    const session = await api1.login(ALICE.username, ALICE.password);
    const created = (await api1.create(session, { tokenName: "survivor", allowedIPs: ["10.0.0.0/8"] })).body.tokenInfo;
    await first.close();
    expect(fs.readdirSync(dir)).toEqual(["store.json"]); // no temporary file left behind

    const second = await startEmulator({ dataFile });
    const api2 = new RawApi(second.url);
    const list = await api2.call("GET", "/V4/AccessToken", { token: session });
    expect(list.status).toBe(200);
    expect(list.body.tokens).toEqual([expect.objectContaining({ accessTokenId: created.accessTokenId, tokenName: "survivor", allowedIPs: ["10.0.0.0/8"] })]);
    // Ids continue after the restart rather than starting over.
    const next = (await api2.create(session, { tokenName: "next" })).body.tokenInfo.accessTokenId;
    expect(next).toBeGreaterThan(created.accessTokenId);
    await second.close();
  });

  test("a data file that is not a store is refused with a message naming it", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cv-emu-")), "x.json");
    fs.writeFileSync(file, JSON.stringify({ hello: 1 }));
    await expect(startEmulator({ dataFile: file })).rejects.toThrow(/x\.json is not an emulator store/);
  });
});

describe("fault rules of one kind each roll their own rate", () => {
  test("a rule whose rate misses does not hide the next matching rule", () => {
    const f = new Faults();
    f.add({ kind: "status", status: 502, rate: 0.5, method: "POST" });
    f.add({ kind: "status", status: 503, rate: 0.5 });
    const rolls = [0.7, 0.2];
    expect(f.take("status", "POST", "/v4/accesstoken", () => rolls.shift()!)?.status).toBe(503);
    expect(f.take("status", "POST", "/v4/accesstoken", () => 0.9)).toBeUndefined();
    expect(f.take("status", "GET", "/v4/accesstoken", () => 0.1)?.status).toBe(503);
  });

  test("over many requests two rules at 10 % fail about 19 %", () => {
    const f = new Faults();
    f.add({ kind: "status", status: 502, rate: 0.1 });
    f.add({ kind: "status", status: 504, rate: 0.1 });
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const hits = Array.from({ length: 20_000 }, () => f.take("status", "GET", "/x", random)).filter(Boolean);
    expect(hits.length / 20_000).toBeGreaterThan(0.17);
    expect(hits.length / 20_000).toBeLessThan(0.21);
    expect(hits.some((r) => r!.status === 504)).toBe(true);
  });
});
