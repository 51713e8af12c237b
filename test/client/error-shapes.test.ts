import { inspect } from "node:util";
import type { CommvaultClient } from "../../provider/client/client";
import { CommvaultError, goneOfMessage } from "../../provider/client/errors";
import { clientFor } from "../helpers/client";
import { ALICE, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { SESSION, useFakeServer, type Canned } from "./fake-server";

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => {
      expect(CommvaultError.isInstance(e)).toBe(true);
      return e as CommvaultError;
    },
  );

const NOT_COMMVAULT = /did not come from Commvault's API; check that commvault:url is Commvault's API base \(e\.g\. https:\/\/host\/commandcenter\/api\) and that the server has the V4 API/;

describe.each([false, true])("client against the emulator, errorsAsHttp200 %s: what is gone, and the rule said right", (errorsAsHttp200) => {
  const h = useEmulator({ variants: { errorsAsHttp200 } });
  const status = (http: number) => (errorsAsHttp200 ? 200 : http);

  test("an unknown access token is `gone: token` on modify, delete and renew", async () => {
    const { client } = clientFor(h);
    for (const call of [() => client.modifyToken(4242, { tokenName: "x" }), () => client.deleteToken(4242), () => client.renewToken("feedface00", "cafe00")]) {
      const e = await failureOf(call());
      expect(e).toMatchObject({ kind: "not-found", gone: "token", status: status(404), errorMessage: "Access token not found" });
    }
  });

  test("an unknown user is `gone: user` on list and create", async () => {
    const { client } = clientFor(h);
    for (const call of [() => client.listTokens(4242), () => client.createToken({ tokenName: "x", userId: 4242 })]) {
      expect(await failureOf(call())).toMatchObject({ kind: "not-found", gone: "user", status: status(404), errorMessage: "User not found" });
    }
  });

  test("a refused list throws, never reads as no tokens, and is not gone", async () => {
    const alice = clientFor(h, { username: "alice", password: ALICE.password }).client;
    const e = await failureOf(alice.listTokens(SVC_BACKUP));
    expect(e).toMatchObject({ kind: "forbidden", status: status(403) });
    expect(e.gone).toBeUndefined();
    expect(e.toJSON()).toMatchObject({ kind: "forbidden", gone: undefined });
  });

  test("a token for another person: the error states the rule, not a missing permission", async () => {
    const { client } = clientFor(h);
    const e = await failureOf(client.createToken({ tokenName: "x", userId: ALICE.userId }));
    expect(e).toMatchObject({ kind: "forbidden", status: status(403), errorMessage: "You cannot create an access token for another user" });
    expect(e.gone).toBeUndefined();
    expect(e.message).toMatch(/nobody, not even an administrator, creates an access token for another person: that person creates it/);
    expect(e.message).toMatch(/an administrator may then modify or delete it; only the tokens of service accounts are created by an administrator/);
    expect(e.message).not.toMatch(/lacks the permission/);
  });

  test("Commvault's own JSON 404 for an API it does not serve is not gone, and says to check the URL", async () => {
    const { client } = clientFor(h, { url: h.running.url.replace("/commandcenter/api", "/webconsole/api") });
    const e = await failureOf(client.listTokens());
    expect(e).toMatchObject({ kind: "not-found", status: 404, errorMessage: "The requested API was not found" });
    expect(e.gone).toBeUndefined();
    expect(e.message).toMatch(/the server does not serve this API; check that commvault:url is Commvault's API base/);
  });
});

describe("client against answers that are not Commvault's", () => {
  const fake = useFakeServer();

  test.each<[string, Canned]>([
    ["an HTML 404 from a proxy", { status: 404, body: "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>" }],
    ["an HTML 404 whose text says the token was not found", { status: 404, body: "<html><body>Access token not found</body></html>" }],
    ["an empty 404", { status: 404, body: "" }],
    ["JSON without errorCode", { status: 404, body: { status: 404, error: "Not Found", path: "/commandcenter/api/V4/AccessToken" } }],
    ["JSON whose error is a string", { status: 404, body: { error: "User not found" } }],
    ["an HTML 403 from a firewall", { status: 403, body: "<html>Request blocked</html>" }],
    ["an HTML 400", { status: 400, body: "<html>Bad Request</html>" }],
  ])("%s is `unexpected-response`, never gone, on list, modify and delete", async (_what, canned) => {
    fake.answer(() => canned);
    const client = fake.client();
    const calls: [string, (c: CommvaultClient) => Promise<unknown>][] = [
      ["list", (c) => c.listTokens(21)],
      ["modify", (c) => c.modifyToken(101, { tokenName: "x" })],
      ["delete", (c) => c.deleteToken(101)],
    ];
    for (const [, call] of calls) {
      const e = await failureOf(call(client));
      expect(e).toMatchObject({ kind: "unexpected-response", status: canned.status });
      expect(e.gone).toBeUndefined();
      expect(e.errorCode).toBeUndefined();
      expect(e.message).toMatch(NOT_COMMVAULT);
      expect(e.message).toContain(`HTTP ${canned.status}`);
    }
  });

  test("the message shows what answered: content type and the start of the body", async () => {
    fake.answer(() => ({ status: 404, body: `<html>\n  <title>nginx</title>${"x".repeat(300)}</html>` }));
    const e = await failureOf(fake.client().listTokens());
    expect(e.message).toMatch(/failed: the answer \(text\/html: "<html> <title>nginx<\/title>x+…"\) did not come from Commvault's API; .* \(HTTP 404\)$/);
    fake.answer(() => ({ status: 404, body: "", contentType: "text/plain" }));
    expect((await failureOf(fake.client().listTokens())).message).toMatch(/\(text\/plain, empty\) did not come/);
  });

  test.each<[string, Canned]>([
    ["an HTML page", { status: 200, body: "<html>Please sign in</html>" }],
    ["an empty body", { status: 200, body: "" }],
  ])("an HTTP 200 with %s is no success: list, delete and modify all fail", async (_what, canned) => {
    fake.answer(() => canned);
    const client = fake.client();
    for (const call of [() => client.listTokens(), () => client.deleteToken(101), () => client.modifyToken(101, { tokenName: "x" })]) {
      const e = await failureOf(call());
      expect(e).toMatchObject({ kind: "unexpected-response", status: 200 });
      expect(e.message).toMatch(NOT_COMMVAULT);
    }
  });

  test("an HTML 503 or 502 stays transient (retried, then reported), since a proxy's is as real as Commvault's", async () => {
    fake.answer(() => ({ status: 503, body: "<html>Service Unavailable</html>" }));
    expect(await failureOf(fake.client().listTokens())).toMatchObject({ kind: "transient", status: 503, attempts: 2 });
  });

  test("a list answer without tokens reads as none only when it says it succeeded", async () => {
    const client = fake.client();
    for (const ok of [{ error: { errorCode: 0, errorMessage: "" } }, { errorCode: 0 }]) {
      fake.answer(() => ({ status: 200, body: ok }));
      expect(await client.listTokens()).toEqual([]);
    }
    for (const unclear of [{}, { errorMessage: "Session is busy" }]) {
      fake.answer(() => ({ status: 200, body: unclear }));
      const e = await failureOf(client.listTokens());
      expect(e).toMatchObject({ kind: "unexpected-response" });
      expect(e.message).toMatch(/tokens: missing, and the answer does not say the call succeeded/);
    }
    fake.answer(() => ({ status: 200, body: { errorCode: "E42", errorMessage: "refused" } }));
    expect(await failureOf(client.listTokens())).toMatchObject({ kind: "unexpected-response", message: expect.stringMatching(/errorCode/) });
  });
});

describe("client: either error shape on every call, as HTTP 200 or as the HTTP status", () => {
  const fake = useFakeServer();
  const calls: [string, (c: CommvaultClient) => Promise<unknown>][] = [
    ["create", (c) => c.createToken({ tokenName: "x" })],
    ["list", (c) => c.listTokens(21)],
    ["modify", (c) => c.modifyToken(101, { tokenName: "x" })],
    ["delete", (c) => c.deleteToken(101)],
    ["renew", (c) => c.renewToken("feedface00", "cafe00")],
  ];
  const shapes: [string, (code: number | string, message: string) => unknown][] = [
    ["nested", (errorCode, errorMessage) => ({ error: { errorCode, errorMessage } })],
    ["top-level", (errorCode, errorMessage) => ({ errorCode, errorMessage })],
  ];
  const cases = calls.flatMap(([call, run]) => shapes.map(([shape, body]) => [call, shape, run, body] as const));

  test.each(cases)("%s, %s: the same error as the HTTP status gives", async (_call, _shape, run, body) => {
    const client = fake.client();
    const byStatus: [number, string, string, string | undefined][] = [
      [404, "Access token not found", "not-found", "token"],
      [404, "User not found", "not-found", "user"],
      [403, "User does not have the required permission: Administrative Management", "forbidden", undefined],
      [400, "Token name already present", "validation", undefined],
    ];
    for (const [status, message, kind, gone] of byStatus) {
      fake.answer(() => ({ status: 200, body: body(1013, message) }));
      const as200 = await failureOf(run(client));
      fake.answer(() => ({ status, body: body(1013, message) }));
      const asStatus = await failureOf(run(client));
      for (const e of [as200, asStatus]) {
        expect(e).toMatchObject({ kind, errorCode: 1013, errorMessage: message, gone });
        expect(e.message).toContain(message);
      }
      expect(as200.status).toBe(200);
      expect(asStatus.status).toBe(status);
    }
    // A quoted code is still a code.
    fake.answer(() => ({ status: 200, body: body("1013", "Access token not found") }));
    expect(await failureOf(run(client))).toMatchObject({ kind: "not-found", gone: "token", errorCode: 1013 });
  });

  test("a refused list never returns [] in either shape", async () => {
    const client = fake.client();
    for (const [, body] of shapes) {
      fake.answer(() => ({ status: 200, body: { tokens: [], ...(body(1009, "User does not have the required permission") as object) } }));
      await expect(client.listTokens(21)).rejects.toMatchObject({ kind: "forbidden", status: 200 });
    }
  });

  test("an answer that is not Commvault's never shows a secret the client knows", async () => {
    const client = fake.client();
    // A debugging proxy that echoes the request, headers and body included.
    fake.answer((req) => ({ status: 400, body: `<pre>${req.body} ${JSON.stringify(req.headers)}</pre>` }));
    const e = await failureOf(client.renewToken("a1b2c3d4e5f6-access-secret", "REFRESH-0b1c2d3e"));
    const texts = [e.message, String(e), JSON.stringify(e), inspect(e, { depth: 10, showHidden: true }), e.stack ?? ""];
    for (const text of texts) {
      for (const secret of ["a1b2c3d4e5f6-access-secret", "REFRESH-0b1c2d3e"]) expect(text).not.toContain(secret);
    }
    expect(e.message).toContain("[REDACTED]");
    fake.answer((req) => ({ status: 404, body: `<pre>${String(req.headers.authtoken)}</pre>` }));
    const listed = await failureOf(client.listTokens());
    expect(listed.message).toContain("<pre>[REDACTED]</pre>");
    expect(listed.message).not.toContain(SESSION.replace("QSDK ", ""));
  });
});

describe("goneOfMessage: the one place that reads absence from Commvault's words", () => {
  test.each([
    ["Access token not found", "token"],
    ["access token was not found", "token"],
    ["Access token 105 does not exist", "token"],
    ["User not found", "user"],
    ["The user does not exist", "user"],
    ["User 4242 not found", "user"],
    ["The requested API was not found", undefined],
    ["Not Found", undefined],
    ["User does not have the required permission: Administrative Management", undefined],
    ["Access token creation not allowed using another access token", undefined],
    ["Token name already present", undefined],
    ["", undefined],
  ])("%j -> %s", (message, gone) => {
    expect(goneOfMessage(message)).toBe(gone);
  });
});
