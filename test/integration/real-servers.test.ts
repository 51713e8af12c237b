import * as http from "node:http";
import { ADMIN, DAY, SVC_BACKUP, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { configure, provider, refresh, up, type Deployed } from "../helpers/lifecycle";
import { isCreate, isList, startProxy } from "../helpers/proxy";

const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** What a production CommServe does that a fresh emulator does not: issue 7 and issue 14, item 2. */
describe("provider lifecycle against servers as they really are", () => {
  const h = useEmulator();
  const settings = (extra: Record<string, string> = {}) => ({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password, ...extra });
  const tokens = async (userId: number) =>
    (await h.api.call("GET", `/V4/AccessToken?userId=${userId}`, { token: h.admin })).body.tokens as { accessTokenId: number; tokenName: string; createdTime: number }[];
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login").map((e) => `${e.method} ${e.path}`);
  beforeEach(() => configure(settings()));

  describe("owner identity is the user id", () => {
    test("a service account renamed in Command Center is no change; naming it anew in the program makes no call", async () => {
      const d0 = await up({ name: "backup", userName: "svc-backup" });
      h.running.emulator.store.data.users.find((u) => u.userId === SVC_BACKUP)!.userName = "svc-backup-2";
      h.running.emulator.log.length = 0;
      expect((await up({ name: "backup", userName: "svc-backup" }, d0)).action).toBe("same");
      const d1 = await up({ name: "backup", userName: "svc-backup-2" }, d0);
      expect(d1.action).toBe("update");
      expect(d1.outs).toMatchObject({ tokenId: d0.outs.tokenId, userId: SVC_BACKUP, userName: "svc-backup-2", accessToken: d0.outs.accessToken });
      expect(writes()).toEqual([]);
      expect((await up({ name: "backup", userName: "svc-backup-2" }, d1)).action).toBe("same");
    });

    test("a token that names no owner stays with its owner when the configured user changes, and the preview warns", async () => {
      const d0 = await up({ name: "mine" });
      h.running.emulator.store.data.users.push({ userId: 2, userName: "admin2", userType: "user", admin: true, enabled: true, userGUID: "g2", password: "admin2-password" });
      await configure(settings({ "commvault:username": "admin2", "commvault:password": "admin2-password" }));
      const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
      try {
        h.running.emulator.log.length = 0;
        const d1 = await up(d0.inputs, d0);
        expect(d1.action).toBe("same");
        expect(writes()).toEqual([]);
        const warned = stderr.mock.calls.map((c) => String(c[0])).join("");
        expect(warned).toMatch(/access token "mine" names no owner, so it stays with admin \(user id 1\).*now logs in as admin2 \(user id 2\).*set userId or userName/);
      } finally {
        stderr.mockRestore();
      }
      expect((await refresh(d0))!.outs).toMatchObject({ userId: ADMIN.userId, tokenId: d0.outs.tokenId });
    });

    test("a real change of owner is a replacement that succeeds: created for the new owner, then the old one revoked", async () => {
      const d0 = await up({ name: "moving", userName: "svc-backup" });
      const d1 = await up({ name: "moving", userName: "svc-reporting" }, d0);
      expect(d1.action).toBe("create-replace");
      expect(d1.id).toBe(`${SVC_REPORTING}:${d1.outs.tokenId}`);
      expect(await tokens(SVC_BACKUP)).toEqual([]);
      expect((await tokens(SVC_REPORTING)).map((t) => t.tokenName)).toEqual(["moving"]);
      expect((await up({ name: "moving", userId: SVC_REPORTING }, d1)).action).toBe("same");
    });

    test("an administrator asking for another person's token is refused before any write, with the rule", async () => {
      h.running.emulator.log.length = 0;
      await expect(up({ name: "for-alice", userName: "alice" })).rejects.toThrow(
        /cannot create an access token for user "alice" \(id 11\): nobody creates an access token for another person; that person creates it.*an administrator may then manage it/,
      );
      expect(writes()).toEqual([]);
    });
  });

  describe("no orphan on a slow server", () => {
    test("a create that commits after the client gave up is found, revoked and made again: one token, its secret known", async () => {
      await configure(settings({ "commvault:timeoutSeconds": "1" }));
      await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 2_500, method: "POST", path: "/v4/accesstoken", count: 1 });
      const d = await up({ name: "slow", userName: "svc-backup" });
      expect((await tokens(SVC_BACKUP)).map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
      expect((await h.api.call("GET", "/v2/WhoAmI", { token: d.outs.accessToken })).status).toBe(200);
      expect(writes().filter((w) => w.startsWith("POST"))).toHaveLength(2);
    }, 30_000);

    test("when every answer is too late, it says only what it saw, keeps the resource pending, and the next up converges", async () => {
      await configure(settings({ "commvault:timeoutSeconds": "1" }));
      await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 1_800, method: "POST", path: "/v4/accesstoken", count: 6 });
      const inputs = (await provider.check!({}, { name: "never-in-time", userName: "svc-backup" })).inputs;
      const err = (await provider.create(inputs).catch((e: unknown) => e)) as Error & { id: string; properties: Record<string, unknown> };
      expect(err.message).toMatch(/answer was lost 6 time\(s\)/);
      expect(err.message).not.toMatch(/no token was left behind/);
      expect(err.properties).toMatchObject({ name: "never-in-time", userId: SVC_BACKUP, pendingRecreate: expect.any(String) });
      // Whatever the server holds now, the next `up` (a replacement of the pending resource) ends
      // with exactly one token under the name, whose secret is in state.
      // The same settings as the run that failed: a late commit is looked for within the same window.
      const pending: Deployed = { id: err.id, inputs, outs: err.properties };
      const d = await up({ name: "never-in-time", userName: "svc-backup" }, pending);
      expect(d.action).toBe("delete-replace");
      expect((await tokens(SVC_BACKUP)).map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
      expect((await h.api.call("GET", "/v2/WhoAmI", { token: d.outs.accessToken })).status).toBe(200);
    }, 60_000);

    test("a pending resource whose token shows up late is found by name on refresh and settled by the next up", async () => {
      const late = (await h.api.create(h.admin, { tokenName: "late", userId: SVC_BACKUP })).body.tokenInfo as { accessTokenId: number };
      const pending: Deployed = {
        id: `${SVC_BACKUP}:unknown`,
        inputs: { name: "late", userName: "svc-backup", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false },
        outs: { name: "late", userName: "svc-backup", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false, userId: SVC_BACKUP, pendingRecreate: "lost" },
      };
      const r = (await refresh(pending))!;
      expect(r.outs.tokenId).toBe(late.accessTokenId);
      const d = await up(pending.inputs, r);
      expect(d.action).toBe("delete-replace");
      expect((await tokens(SVC_BACKUP)).map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
      expect(d.outs.tokenId).not.toBe(late.accessTokenId);
    });
  });

  describe("a create that happened is never lost, whatever fails after it", () => {
    /** A proxy that fails the next `n` lists after each create, with Commvault's own 500. */
    const failingListsAfterCreate = (n: number) => {
      let left = 0;
      return startProxy(h.running.url, (req) => {
        if (isCreate(req)) left = n;
        if (!isList(req) || left <= 0) return undefined;
        left--;
        return (res) => res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ errorCode: 1022, errorMessage: "Internal server error" }));
      });
    };

    test("a list that fails after a successful create costs only createdAt, not the token", async () => {
      const p = await failingListsAfterCreate(1);
      try {
        await configure(settings({ "commvault:url": p.url }));
        const d = await up({ name: "kept-anyway" });
        expect(d.outs.createdAt).toBeUndefined();
        expect((await h.api.call("GET", "/v2/WhoAmI", { token: d.outs.accessToken })).status).toBe(200);
        // The next refresh fills it in from the server.
        await configure(settings());
        expect((await refresh(d))!.outs.createdAt).toMatch(/Z$/);
      } finally {
        await p.close();
      }
    });

    test("a lost answer while lists fail: pending in state, never a claim it did not check, and the next up converges", async () => {
      const p = await failingListsAfterCreate(40);
      try {
        await configure(settings({ "commvault:url": p.url }));
        await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
        const inputs = (await provider.check!({}, { name: "unverified" })).inputs;
        const err = (await provider.create(inputs).catch((e: unknown) => e)) as Error & { id: string; properties: Record<string, unknown> };
        expect(err.message).toMatch(/whether a token was left could not be checked/);
        expect(err.message).not.toMatch(/safe to run the command again/);
        expect(err.properties).toMatchObject({ name: "unverified", pendingRecreate: err.message });
        await configure(settings());
        const d = await up(inputs, { id: err.id, inputs, outs: err.properties });
        expect(d.action).toBe("delete-replace");
        const mine = (await h.api.call("GET", "/V4/AccessToken", { token: h.admin })).body.tokens.filter((t: { tokenName: string }) => t.tokenName === "unverified");
        expect(mine.map((t: { accessTokenId: number }) => t.accessTokenId)).toEqual([d.outs.tokenId]);
      } finally {
        await p.close();
      }
    }, 60_000);

    test("a pending resource whose token is not listed yet stays in state on refresh", async () => {
      const pending: Deployed = {
        id: `${SVC_BACKUP}:pending`,
        inputs: { name: "not-yet", userName: "svc-backup", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false },
        outs: { name: "not-yet", userName: "svc-backup", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false, userId: SVC_BACKUP, pendingRecreate: "lost", pendingSince: 0 },
      };
      expect((await refresh(pending))?.outs).toEqual(pending.outs);
    });
  });

  test("a replacement of a token that names no owner, under another login, is refused at preview rather than moved", async () => {
    const d0 = await up({ name: "whose" });
    h.running.emulator.store.data.users.push({ userId: 5, userName: "admin5", userType: "user", admin: true, enabled: true, userGUID: "g5", password: "admin5-password" });
    await configure(settings({ "commvault:username": "admin5", "commvault:password": "admin5-password" }));
    const checked = (await provider.check!(d0.inputs, { name: "whose", scope: "MicrosoftSCIM", replaceOnForbiddenScopeChange: true })).inputs;
    await expect(provider.diff!(d0.id, d0.outs, checked as never)).rejects.toThrow(
      /must be replaced, and it names no owner: it belongs to admin \(user id 1\), but the provider now logs in as admin5 \(user id 5\).*Set userId: 1 on the resource to keep its owner/,
    );
    const kept = (await provider.check!(d0.inputs, { name: "whose", scope: "MicrosoftSCIM", replaceOnForbiddenScopeChange: true, userId: 1 })).inputs;
    expect((await provider.diff!(d0.id, d0.outs, kept as never)).replaces).toEqual(["scope"]);
  });

  describe("only a confirmed absence removes a resource from state", () => {
    const proxy = (answer: (res: http.ServerResponse) => void) => startProxy(h.running.url, (req) => (isList(req) ? answer : undefined));

    test.each([
      ["an HTML 404 from a proxy", (res: http.ServerResponse) => res.writeHead(404, { "Content-Type": "text/html" }).end("<html><body>Not Found</body></html>")],
      ["a server without the V4 API", (res: http.ServerResponse) => res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ errorCode: 1020, errorMessage: "The requested API was not found" }))],
      ["an empty 404", (res: http.ServerResponse) => res.writeHead(404).end()],
    ])("%s fails the refresh instead of dropping the token", async (_what, answer) => {
      const d0 = await up({ name: "kept" });
      const p = await proxy(answer);
      try {
        await configure(settings({ "commvault:url": p.url }));
        await expect(refresh(d0)).rejects.toThrow(/access token|Commvault/);
      } finally {
        await p.close();
      }
    });

    test("Commvault's own answer that the owner is gone drops the resource", async () => {
      const d0 = await up({ name: "orphaned", userName: "svc-backup" });
      const users = h.running.emulator.store.data.users;
      users.splice(users.findIndex((u) => u.userId === SVC_BACKUP), 1);
      expect(await refresh(d0)).toBeUndefined();
    });
  });

  test("a list without apiEndpoints keeps the state's endpoints: unknown, not empty", async () => {
    const { refreshed } = await import("../../provider/lifecycle/mapping");
    const state = { name: "c", scope: "Custom" as const, apiEndpoints: ["/client"], ipAllowlist: [], replaceOnForbiddenScopeChange: false, tokenId: 5, userId: 1 };
    expect(refreshed(state, { accessTokenId: 5, userId: 1, tokenName: "c", tokenType: 3 }).apiEndpoints).toEqual(["/client"]);
    expect(refreshed(state, { accessTokenId: 5, userId: 1, tokenName: "c", tokenType: 3, apiEndpoints: ["/v4/x"] }).apiEndpoints).toEqual(["/v4/x"]);
  });

  describe("what the server knows comes from the server, with its clock hours away", () => {
    beforeEach(async () => {
      h.running.emulator.clock.set(Math.floor(Date.now() / 1000) + 5 * 3600);
      h.admin = await h.api.login(ADMIN.username, ADMIN.password); // the old session idled out
    });

    test("create, update, replacement and a lost-answer recovery each leave state that a refresh does not change", async () => {
      const d0 = await up({ name: "skew", scope: "Custom", apiEndpoints: ["/client"] });
      expect(d0.outs.createdAt).toBe(iso((await tokens(ADMIN.userId))[0]!.createdTime));
      expect((await refresh(d0))!.outs).toEqual(d0.outs);
      const d1 = await up({ name: "skew-2", scope: "All", renewableUntil: iso(h.running.emulator.clock.now() + 100 * DAY) }, d0);
      expect((await refresh(d1))!.outs).toEqual(d1.outs);
      const d2 = await up({ name: "skew-2", scope: "OneTouchRecovery", replaceOnForbiddenScopeChange: true }, d1);
      expect((await refresh(d2))!.outs).toEqual(d2.outs);
      await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
      const d3 = await up({ name: "skew-lost", scope: "Hyperscale" });
      expect((await refresh(d3))!.outs).toEqual(d3.outs);
    });
  });
});
