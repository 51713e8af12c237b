import { ADMIN, ALICE, DAY, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { CheckFailed, configure, forgetRun, provider, refresh, up } from "../helpers/lifecycle";

const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("provider lifecycle against the emulator", () => {
  const h = useEmulator();
  const asAdmin = () => configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login").map((e) => `${e.method} ${e.path}`);
  const tokens = async (userId: number) =>
    (await h.api.call("GET", `/V4/AccessToken?userId=${userId}`, { token: h.admin })).body.tokens as { accessTokenId: number; tokenName: string }[];
  beforeEach(asAdmin);

  test.each([
    ["All", {}],
    ["Custom", { apiEndpoints: ["/client"] }],
    ["Hyperscale", {}],
    ["MicrosoftSCIM", { expiresAt: iso(Math.floor(Date.now() / 1000) + 20 * DAY) }],
    ["OneTouchRecovery", {}],
  ])("creates a %s token with its secrets, lifetime and id <userId>:<tokenId>", async (scope, extra) => {
    const d = await up({ name: `t-${scope}`, scope, ...extra });
    expect(d.id).toBe(`${ADMIN.userId}:${d.outs.tokenId}`);
    expect(d.outs).toMatchObject({ name: `t-${scope}`, scope, userId: ADMIN.userId, userName: "admin", ipAllowlist: [] });
    expect(d.outs.accessToken).toMatch(/^[0-9a-f]+$/);
    const fixed = scope === "MicrosoftSCIM" || scope === "OneTouchRecovery";
    expect(d.outs.refreshToken === undefined).toBe(fixed);
    expect(fixed ? d.outs.expiresAt : d.outs.renewableUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await tokens(ADMIN.userId)).map((t) => t.tokenName)).toEqual([`t-${scope}`]);
  });

  test("rename, extend and re-allow-list in place: one PUT with only those fields, id unchanged", async () => {
    const d0 = await up({ name: "ci", userName: "svc-backup", ipAllowlist: ["10.0.0.1"] });
    h.running.emulator.log.length = 0;
    const until = iso(Math.floor(Date.now() / 1000) + 200 * DAY);
    const d1 = await up({ name: "ci-renamed", userName: "svc-backup", ipAllowlist: ["192.0.2.0/24", "2001:db8::/48"], renewableUntil: until }, d0);
    expect(d1.action).toBe("update");
    expect(d1.id).toBe(d0.id);
    expect(writes()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(h.running.emulator.log.find((e) => e.method === "PUT")!.body).toEqual({
      tokenName: "ci-renamed",
      renewableUntilTimestamp: Date.parse(until) / 1000,
      allowedIPs: ["192.0.2.0/24", "2001:db8::/48"],
    });
    expect(d1.outs).toMatchObject({ name: "ci-renamed", renewableUntil: until, accessToken: d0.outs.accessToken });
    // A second run with the same inputs does nothing at all.
    h.running.emulator.log.length = 0;
    expect((await up(d1.inputs, d1)).action).toBe("same");
    expect(writes()).toEqual([]);
  });

  test("update is safe to repeat", async () => {
    const d0 = await up({ name: "twice" });
    const checked = (await provider.check!(d0.inputs, { name: "twice-2" })).inputs;
    const a = await provider.update!(d0.id, d0.outs, checked);
    const b = await provider.update!(d0.id, d0.outs, checked);
    expect(a.outs).toEqual(b.outs);
    expect((await tokens(ADMIN.userId)).map((t) => t.tokenName)).toEqual(["twice-2"]);
  });

  test("a PUT that fails halfway leaves the old state usable: the next run sends the change again", async () => {
    const d0 = await up({ name: "flaky", ipAllowlist: ["10.0.0.1"] });
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, method: "PUT", count: 1 });
    await expect(up({ name: "flaky-2", ipAllowlist: [] }, d0)).rejects.toMatchObject({ kind: "server", status: 500 });
    // The engine keeps d0 as the state; the next `up` plans and sends the same single PUT.
    h.running.emulator.log.length = 0;
    const d1 = await up({ name: "flaky-2", ipAllowlist: [] }, d0);
    expect(writes()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(d1.outs).toMatchObject({ name: "flaky-2", ipAllowlist: [] });
  });

  test("extends a token after it expired (emulator clock)", async () => {
    const t0 = Math.floor(Date.now() / 1000);
    const d0 = await up({ name: "scim", scope: "MicrosoftSCIM", expiresAt: iso(t0 + 2 * DAY) });
    h.running.emulator.clock.advance(3 * DAY);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d0.outs.accessToken })).status).toBe(401);
    const later = h.running.emulator.clock.now() + 10 * DAY;
    // The provider's own clock check uses real time; the new expiry is in the future for both.
    const d1 = await up({ name: "scim", scope: "MicrosoftSCIM", expiresAt: iso(later) }, d0);
    expect(d1.action).toBe("update");
    expect(d1.outs.expiresAt).toBe(iso(later));
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d0.outs.accessToken })).status).toBe(200);
  });

  test("All -> Custom -> Hyperscale -> All in place, token id unchanged", async () => {
    let d = await up({ name: "roam" });
    const id = d.id;
    for (const step of [{ scope: "Custom", apiEndpoints: ["/client"] }, { scope: "Hyperscale" }, { scope: "All" }]) {
      d = await up({ name: "roam", ...step }, d);
      expect(d.action).toBe("update");
      expect(d.id).toBe(id);
      expect(d.outs.scope).toBe(step.scope);
    }
    expect((await tokens(ADMIN.userId))).toHaveLength(1);
  });

  test.each([
    ["MicrosoftSCIM", "All"],
    ["All", "OneTouchRecovery"],
  ])("%s -> %s is refused in check, before anything is touched", async (from, to) => {
    const d0 = await up({ name: "fixed", scope: from });
    h.running.emulator.log.length = 0;
    const err = await up({ name: "fixed", scope: to }, d0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).failures).toEqual([{ property: "scope", reason: expect.stringContaining(`from "${from}" to "${to}"`) }]);
    expect(h.running.emulator.log).toEqual([]);
  });

  test("with the opt-in, a forbidden change replaces: new id, old token gone, same name deletes first", async () => {
    const d0 = await up({ name: "swap", scope: "All" });
    const d1 = await up({ name: "swap", scope: "MicrosoftSCIM", replaceOnForbiddenScopeChange: true }, d0);
    expect(d1.action).toBe("delete-replace");
    expect(d1.id).not.toBe(d0.id);
    expect(d1.outs.accessToken).not.toBe(d0.outs.accessToken);
    expect((await tokens(ADMIN.userId)).map((t) => [t.accessTokenId, t.tokenName])).toEqual([[d1.outs.tokenId, "swap"]]);
    // A new name creates first.
    const d2 = await up({ name: "swap-2", scope: "OneTouchRecovery", replaceOnForbiddenScopeChange: true }, d1);
    expect(d2.action).toBe("create-replace");
    expect((await tokens(ADMIN.userId)).map((t) => t.tokenName)).toEqual(["swap-2"]);
  });

  test("drift made by hand shows on refresh and the next up restores it", async () => {
    const d0 = await up({ name: "drift", ipAllowlist: ["10.0.0.0/8"] });
    await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { tokenName: "hand-edited", allowedIPs: ["0.0.0.0/0"] } });
    const r = (await refresh(d0))!;
    expect(r.outs).toMatchObject({ name: "hand-edited", ipAllowlist: ["0.0.0.0/0"], accessToken: d0.outs.accessToken });
    expect((await provider.diff!(r.id, r.outs, d0.inputs)).changes).toBe(true);
    const d1 = await up(d0.inputs, r);
    expect(d1.action).toBe("update");
    expect((await refresh(d1))!.outs).toMatchObject({ name: "drift", ipAllowlist: ["10.0.0.0/8"] });
  });

  test("a refresh of an unchanged token gives its state back as it was and no inputs; a field changed by hand gives the server's inputs", async () => {
    // The engine serializes the whole snapshot again for any difference a read returns (inputs
    // included), so every unchanged token that came back with rebuilt inputs made a refresh of N
    // tokens cost N² (docs/benchmarks.md).
    const d0 = await up({ name: "still", userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"], renewableFor: "30d" });
    forgetRun();
    const same = await provider.read!(d0.id, d0.outs);
    expect(same.props).toEqual(d0.outs);
    expect(same.inputs).toBeUndefined();
    // A field no person sets (the access token's expiry, moved by a consumer's renewal): new outputs, the program's inputs kept.
    const renewed = h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === d0.outs.tokenId)!;
    renewed.tokenExpiryTimestamp += 600;
    forgetRun();
    const moved = await provider.read!(d0.id, d0.outs);
    expect(moved.props).not.toEqual(d0.outs);
    expect(moved.inputs).toBeUndefined();
    await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { tokenName: "still-by-hand" } });
    forgetRun();
    const edited = await provider.read!(d0.id, d0.outs);
    expect(edited.inputs).toMatchObject({ name: "still-by-hand", userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"] });
  });

  test("a token deleted by hand leaves state on refresh; delete of a gone token succeeds", async () => {
    const d0 = await up({ name: "gone" });
    await h.api.call("DELETE", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin });
    expect(await refresh(d0)).toBeUndefined();
    await expect(provider.delete!(d0.id, d0.outs)).resolves.toBeUndefined();
    const again = await up(d0.inputs);
    expect(again.outs.tokenId).not.toBe(d0.outs.tokenId);
  });

  test("an allow list the server does not report keeps the state's value", async () => {
    const d0 = await up({ name: "quiet", ipAllowlist: ["10.0.0.1"] });
    h.running.emulator.variants.omitAllowedIPsInList = true;
    expect((await refresh(d0))!.outs.ipAllowlist).toEqual(["10.0.0.1"]);
  });

  test("an administrator manages a service account's token by name or id", async () => {
    const d0 = await up({ name: "backup", userName: "svc-backup", ipAllowlist: ["192.0.2.10"] });
    expect(d0.id).toBe(`${SVC_BACKUP}:${d0.outs.tokenId}`);
    expect(d0.outs).toMatchObject({ userId: SVC_BACKUP, userName: "svc-backup" });
    const d1 = await up({ name: "backup", userId: SVC_BACKUP, ipAllowlist: [] }, d0);
    expect(d1.action).toBe("update");
    await provider.delete!(d1.id, d1.outs);
    expect(await tokens(SVC_BACKUP)).toEqual([]);
  });

  test("owners are looked up once per run, and again when a name is not found (a user added since)", async () => {
    // Other settings make another client, as a new provider process would have.
    await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password, "commvault:timeoutSeconds": "31" });
    await up({ name: "a", userName: "svc-backup" });
    await up({ name: "b", userName: "svc-backup" });
    await up({ name: "c", userId: 22 });
    expect(h.running.emulator.log.filter((e) => e.path === "/user")).toHaveLength(1);
    h.running.emulator.store.data.users.push({ userId: 31, userName: "svc-new", userType: "service", admin: false, enabled: true, userGUID: "g" });
    expect((await up({ name: "d", userName: "svc-new" })).outs.userId).toBe(31);
    await expect(up({ name: "e", userName: "nobody" })).rejects.toThrow(/userName "nobody" is not a Commvault user/);
  });

  test("an end user manages their own token and is refused on another's with a clear message", async () => {
    await configure({ "commvault:url": h.running.url, "commvault:username": ALICE.username, "commvault:password": ALICE.password });
    const own = await up({ name: "alice-own" });
    expect(own.outs.userId).toBe(ALICE.userId);
    await expect(up({ name: "alice-own-2" }, own)).resolves.toMatchObject({ action: "update" });
    await expect(up({ name: "not-hers", userName: "svc-backup" })).rejects.toThrow(/not a Commvault user the logged-in user can see|permission/);
    await expect(up({ name: "not-hers", userId: SVC_BACKUP })).rejects.toThrow(/permission: Administrative Management.*an administrator manages service accounts' tokens/);
  });

  test("a name already taken for the owner fails with a message that says what to do", async () => {
    await h.api.create(h.admin, { tokenName: "Taken" });
    await expect(up({ name: "taken" })).rejects.toThrow(/named "Taken" already exists for user admin.*Otherwise give this resource another name, or delete that token in Command Center first/);
  });

  test("a create whose answer is lost ends with exactly one token, whose secret is known", async () => {
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 1 });
    const d = await up({ name: "lost-answer", userName: "svc-backup" });
    const list = await tokens(SVC_BACKUP);
    expect(list.map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d.outs.accessToken })).status).toBe(200);
  });

  test("answers lost again and again: recovered while it can be, and never an orphan token", async () => {
    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 2 });
    const d = await up({ name: "lost-twice", userName: "svc-backup" });
    expect((await tokens(SVC_BACKUP)).map((t) => t.accessTokenId)).toEqual([d.outs.tokenId]);

    await h.api.ctl("POST", "faults", { kind: "drop", method: "POST", path: "/v4/accesstoken", count: 50 });
    const err = (await up({ name: "lost-always", userName: "svc-reporting" }).catch((e: unknown) => e)) as Error & { id: string; properties: Record<string, unknown> };
    // It says only what it saw, and keeps the resource in state as pending (a partial failure).
    expect(err.message).toMatch(/answer was lost 6 time\(s\).*no token of this name was listed at .*the next `pulumi up` settles it/);
    expect(err.id).toBe("22:pending");
    expect(err.properties).toMatchObject({ name: "lost-always", userId: 22, pendingRecreate: err.message });
    expect(err.properties.tokenId).toBeUndefined();
    await h.api.ctl("DELETE", "faults");
    expect(await tokens(22)).toEqual([]);
  });

  test("missing settings name the key and the command that sets it", async () => {
    await configure({ "commvault:url": h.running.url, "commvault:username": "admin" });
    const saved = process.env.COMMVAULT_PASSWORD;
    delete process.env.COMMVAULT_PASSWORD;
    try {
      await expect(up({ name: "x" })).rejects.toThrow("Missing Commvault setting commvault:password: set it with `pulumi config set --secret commvault:password <password>` or the COMMVAULT_PASSWORD environment variable");
    } finally {
      if (saved !== undefined) process.env.COMMVAULT_PASSWORD = saved;
    }
  });

  test("environment variables are the fall-back, and a URL with no path gets /commandcenter/api", async () => {
    await configure({});
    Object.assign(process.env, { COMMVAULT_URL: h.running.url.replace("/commandcenter/api", ""), COMMVAULT_USERNAME: "admin", COMMVAULT_PASSWORD: ADMIN.password });
    try {
      expect((await up({ name: "from-env" })).outs.userName).toBe("admin");
    } finally {
      for (const k of ["COMMVAULT_URL", "COMMVAULT_USERNAME", "COMMVAULT_PASSWORD"]) delete process.env[k];
    }
  });
});
