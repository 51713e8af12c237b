import { ADMIN, useEmulator } from "../helpers/emulator";
import { configure, forgetRun, provider, refresh, up, type Deployed } from "../helpers/lifecycle";
import { DAY, RenewingConsumer, dayFloor, iso, sharedClock } from "../helpers/time";

/** Issue 8 against the emulator, with the provider's clock and the emulator's moved in step. */
describe("tokens over time", () => {
  const h = useEmulator();
  const clock = sharedClock(h);
  const log = () => h.running.emulator.log;
  // Calls that did something: logins, lists, and calls refused because the session idled out while
  // the clocks moved days ahead (then repeated after a new login) are left out.
  const calls = () => log().filter((e) => e.path !== "/login" && e.status !== 401 && !(e.method === "GET" && e.path === "/v4/accesstoken")).map((e) => `${e.method} ${e.path}`);
  // Renew calls seen by the emulator, whoever made them; the log is cleared between steps.
  let renewsCleared = 0;
  const renews = () => renewsCleared + log().filter((e) => e.path === "/v4/accesstoken/renew").length;
  const clear = () => {
    renewsCleared = renews();
    log().length = 0;
  };
  let warnings: string[] = [];
  let stderr: jest.SpyInstance;

  beforeEach(async () => {
    renewsCleared = 0;
    clock.day(0);
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
    warnings = [];
    stderr = jest.spyOn(process.stderr, "write").mockImplementation((t) => (warnings.push(String(t)), true));
  });
  afterEach(() => stderr.mockRestore());
  afterAll(() => clock.reset());

  /** A refresh, then the diff the drift gate sees. */
  async function gate(d: Deployed): Promise<{ d: Deployed; changes: boolean; replaces: string[] }> {
    const r = await refresh(d);
    if (!r) throw new Error("the token left state");
    const checked = (await provider.check!(d.inputs, d.inputs)).inputs;
    const diff = await provider.diff!(r.id, r.outs, checked as never);
    return { d: r, changes: diff.changes === true, replaces: diff.replaces ?? [] };
  }
  const consumerOf = (d: Deployed) => new RenewingConsumer(h, { accessToken: d.outs.accessToken, refreshToken: d.outs.refreshToken });

  test("a 1-Touch token past its expiry is dead: the gate fails with the reason, and up extends it in place", async () => {
    const d0 = await up({ name: "bmr", scope: "OneTouchRecovery" });
    clock.day(6);
    expect((await gate(d0)).changes).toBe(false);
    clock.day(8);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d0.outs.accessToken })).status).toBe(401);
    const g = await gate(d0);
    expect(g.changes).toBe(true);
    expect(warnings.join("")).toMatch(/access token "bmr" \(id \d+\) is dead: expired .* has passed; `pulumi up` extends it in place to .* \(same id, same secret\)/);
    clear();
    const d1 = await up(g.d.inputs, g.d);
    expect(d1.action).toBe("update");
    expect(calls()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(log().find((e) => e.method === "PUT")!.body).toEqual({ tokenExpiryTimestamp: dayFloor(clock.now() + 7 * DAY) });
    expect(d1.outs).toMatchObject({ tokenId: d0.outs.tokenId, accessToken: d0.outs.accessToken });
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d0.outs.accessToken })).status).toBe(200);
    expect((await gate(d1)).changes).toBe(false);
  });

  test("an All token whose refresh window lapsed unrenewed is replaced; one that its consumer renews is not", async () => {
    const idle = await up({ name: "idle" });
    const used = await up({ name: "used" });
    const consumer = consumerOf(used);
    for (const day of [7, 14]) {
      clock.day(day);
      await consumer.renew();
    }
    clock.day(15);
    // No refresh since creation: state still says both access tokens expired 30 minutes in.
    const stale = await provider.diff!(used.id, used.outs, used.inputs as never);
    expect(stale.changes).toBe(false);
    const g = await gate(idle);
    expect(g).toMatchObject({ changes: true, replaces: ["accessToken"] });
    expect(warnings.join("")).toMatch(/"idle" \(id \d+\) is dead: its refresh window lapsed at .*Commvault cannot revive it, so a new token \(a new secret\) replaces it/);
    clear();
    const d1 = await up(g.d.inputs, g.d);
    expect(d1.action).toBe("delete-replace");
    expect(calls()).toEqual([`DELETE /v4/accesstoken/${idle.outs.tokenId}`, "POST /v4/accesstoken"]);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d1.outs.accessToken })).status).toBe(200);
    expect((await gate(used)).changes).toBe(false);
  });

  test("a SCIM token with a rolling lifetime past its end: refresh's diff (the last run's inputs) and up's diff say one thing, extended in place", async () => {
    const d0 = await up({ name: "scim-rolling", scope: "MicrosoftSCIM", expiresIn: "30d" });
    clock.day(40);
    const r = await refresh(d0);
    if (!r) throw new Error("the token left state");
    // `preview --refresh`: the engine diffs the refreshed state against the last run's inputs, then against check's.
    await provider.diff!(r.id, r.outs, d0.inputs as never);
    const checked = (await provider.check!(d0.inputs, { name: "scim-rolling", scope: "MicrosoftSCIM", expiresIn: "30d" })).inputs;
    expect((await provider.diff!(r.id, r.outs, checked as never)).changes).toBe(true);
    const text = warnings.join("");
    expect(text).not.toMatch(/still declares/);
    expect(text.match(/is dead: expired \S+ has passed; `pulumi up` extends it in place to \S+ \(same id, same secret\)/g)).toHaveLength(1);
  });

  test("a rolling period raised right after create: the note says the period changed, and up makes one PUT", async () => {
    const d0 = await up({ name: "raised", renewableFor: "90d" });
    clear();
    const d1 = await up({ name: "raised", renewableFor: "120d" }, d0);
    expect(d1.action).toBe("update");
    expect(calls()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(warnings.join("")).toMatch(/access token "raised" \(id \d+\): renewableFor changed 90d => 120d: `pulumi up` extends it in place to a 120d life from today: renewableUntil \S+ => \S+ \(same id, same secret\)/);
    expect(warnings.join("")).not.toMatch(/less than a third/);
  });

  test("a rolling lifetime: not due one day before, due on the day, then one PUT with the same id and secret", async () => {
    const d0 = await up({ name: "rolling", renewableFor: "30d", extendWhenLeft: "10d" });
    const end = dayFloor(clock.start + 30 * DAY);
    expect(d0.outs.renewableUntil).toBe(iso(end));
    const consumer = consumerOf(d0);
    for (const day of [10, 19]) {
      clock.day(day);
      await consumer.renew();
    }
    // 19 days in: 10.5 days left, not due however often it is asked.
    for (let i = 0; i < 2; i++) expect((await up(d0.inputs, d0)).action).toBe("same");
    clock.day(20);
    const checked = (await provider.check!(d0.inputs, { name: "rolling", renewableFor: "30d", extendWhenLeft: "10d" })).inputs as Record<string, unknown>;
    expect(checked.renewableUntil).toBe(iso(dayFloor(clock.now() + 30 * DAY)));
    clear();
    const d1 = await up({ name: "rolling", renewableFor: "30d", extendWhenLeft: "10d" }, d0);
    expect(d1.action).toBe("update");
    expect(calls()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(d1.outs).toMatchObject({ tokenId: d0.outs.tokenId, accessToken: d0.outs.accessToken, renewableUntil: checked.renewableUntil });
    expect(warnings.join("")).toMatch(/less than 10d of its 30d life is left; `pulumi up` extends it in place: renewableUntil .* => /);
    expect((await up({ name: "rolling", renewableFor: "30d", extendWhenLeft: "10d" }, d1)).action).toBe("same");
    await consumer.renew();
    expect(await consumer.works()).toBe(true);
  });

  test("rotation with overlap: the old token keeps working aside, a later up retires it with one DELETE, and nobody but the consumer renews", async () => {
    const args = { name: "rotating", rotation: { everyDays: 30, overlapDays: 7 } };
    const d0 = await up(args);
    expect(d0.outs).toMatchObject({ generation: 1, rotateAfter: iso(dayFloor(clock.start + 30 * DAY)) });
    const old = consumerOf(d0);
    for (const day of [10, 20, 29]) {
      clock.day(day);
      await old.renew();
      expect((await up(args, d0)).action).toBe("same");
    }
    clock.day(30);
    clear();
    const d1 = await up(args, d0);
    expect(d1.action).toBe("update");
    expect(calls()).toEqual([`PUT /v4/accesstoken/${d0.outs.tokenId}`, "POST /v4/accesstoken"]);
    expect(log().find((e) => e.method === "PUT")!.body).toEqual({ tokenName: "rotating~g1" });
    expect(warnings.join("")).toMatch(/a rotation is due \(rotation was due on .*\); `pulumi up` creates generation 2 under "rotating" and keeps this token working as "rotating~g1" for 7 day\(s\)/);
    expect(d1.outs).toMatchObject({
      generation: 2,
      rotatedAt: iso(clock.now()),
      rotateAfter: iso(dayFloor(clock.now() + 30 * DAY)),
      previous: { tokenId: d0.outs.tokenId, name: "rotating~g1", generation: 1, retireAfter: iso(dayFloor(clock.now() + 7 * DAY)) },
    });
    expect(d1.outs.tokenId).not.toBe(d0.outs.tokenId);
    expect(d1.id).toBe(d0.id);
    const fresh = consumerOf(d1);
    // During the overlap both chains keep renewing.
    clock.day(33);
    await old.renew();
    await fresh.renew();
    expect(await old.works()).toBe(true);
    expect((await up(args, d1)).action).toBe("same");
    clock.day(37);
    clear();
    const d2 = await up(args, d1);
    expect(calls()).toEqual([`DELETE /v4/accesstoken/${d0.outs.tokenId}`]);
    expect(d2.outs.previous).toBeUndefined();
    expect(await old.works()).toBe(false);
    await expect(old.renew()).rejects.toThrow(/HTTP 404/);
    old.renewals++; // the refused attempt is logged too
    await fresh.renew();
    expect(await fresh.works()).toBe(true);
    await refresh(d2);
    await provider.delete!(d2.id, d2.outs);
    expect(await fresh.works()).toBe(false);
    // Create, refresh, update, rotation, retirement and delete: every renew was a consumer's.
    expect(renews()).toBe(old.renewals + fresh.renewals);
  });

  test("a new rotationTrigger rotates at once; a rotation that failed halfway is finished by the next run", async () => {
    const d0 = await up({ name: "manual", rotationTrigger: "a" });
    expect(d0.outs.generation).toBe(1);
    // The create fails once after the rename: the next run finds the token already aside.
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, method: "POST", path: "/v4/accesstoken", count: 1 });
    await expect(up({ name: "manual", rotationTrigger: "b" }, d0)).rejects.toMatchObject({ status: 500 });
    clear();
    const d1 = await up({ name: "manual", rotationTrigger: "b" }, d0);
    expect(calls()).toEqual(["POST /v4/accesstoken"]);
    expect(d1.outs).toMatchObject({ generation: 2, previous: { tokenId: d0.outs.tokenId, name: "manual~g1" } });
    const names = (await h.api.call("GET", "/V4/AccessToken", { token: h.admin })).body.tokens.map((t: { tokenName: string }) => t.tokenName).sort();
    expect(names).toEqual(["manual", "manual~g1"]);
  });

  test("a destroy, or a replacement, during an overlap revokes the token kept aside too: nothing outlives its resource", async () => {
    const d0 = await up({ name: "twin", rotationTrigger: "a" });
    const d1 = await up({ name: "twin", rotationTrigger: "b" }, d0);
    expect(d1.outs.previous.tokenId).toBe(d0.outs.tokenId);
    clear();
    await provider.delete!(d1.id, d1.outs);
    expect(calls().sort()).toEqual([`DELETE /v4/accesstoken/${d0.outs.tokenId}`, `DELETE /v4/accesstoken/${d1.outs.tokenId}`].sort());
    expect(h.running.emulator.store.data.tokens).toEqual([]);
    // A replacement deletes the old resource the same way.
    const e0 = await up({ name: "moving", rotationTrigger: "a" });
    const e1 = await up({ name: "moving", rotationTrigger: "b" }, e0);
    const e2 = await up({ name: "moving", rotationTrigger: "b", userName: "svc-backup" }, e1);
    expect(e2.action).toBe("create-replace");
    expect(h.running.emulator.store.data.tokens.map((t) => t.accessTokenId)).toEqual([e2.outs.tokenId]);
  });

  test("a rotation cut short and then refreshed keeps the old token's aside name: no second rename", async () => {
    const d0 = await up({ name: "roll", rotationTrigger: "a" });
    await h.api.ctl("POST", "faults", { kind: "status", status: 500, method: "POST", path: "/v4/accesstoken", count: 1 });
    await expect(up({ name: "roll", rotationTrigger: "b" }, d0)).rejects.toMatchObject({ status: 500 });
    const r = await gate(d0);
    expect(r.d.outs.name).toBe("roll~g1");
    clear();
    const d1 = await up({ name: "roll", rotationTrigger: "b" }, r.d);
    expect(calls()).toEqual(["POST /v4/accesstoken"]);
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName).sort()).toEqual(["roll", "roll~g1"]);
    expect(d1.outs.previous).toMatchObject({ tokenId: d0.outs.tokenId, name: "roll~g1" });
  });

  test("a token made by hand under the aside name stops the rotation before anything is revoked, saying which", async () => {
    const d0 = await up({ name: "held", rotationTrigger: "a" });
    const d1 = await up({ name: "held", rotationTrigger: "b" }, d0);
    await h.api.create(h.admin, { tokenName: "held~g2" });
    clear();
    await expect(up({ name: "held", rotationTrigger: "c" }, d1)).rejects.toThrow(/another token \(id \d+\) already holds the name "held~g2"; names are unique per user/);
    expect(calls()).toEqual([]);
  });

  test("a declared date that has passed: the gate fails with the fix, up leaves that token with no call (the rest proceeds), a later date heals it", async () => {
    const until = iso(clock.start + 5 * DAY);
    const d0 = await up({ name: "fixed-date", renewableUntil: until });
    const consumer = consumerOf(d0);
    clock.day(4);
    await consumer.renew();
    clock.day(6);
    const g = await gate(d0);
    expect(g.changes).toBe(true);
    expect(warnings.join("")).toMatch(/is dead: renewable until .* has passed, and the program still declares renewableUntil: .*Set a later renewableUntil, or use a rolling lifetime \(renewableFor\)/);
    clear();
    // up leaves that token as it is and says why, so that the rest of the stack is not cut short.
    const left = await up(g.d.inputs, g.d);
    expect(left.outs).toEqual({ ...g.d.outs, __unsynced: true });
    expect(warnings.join("")).toMatch(/access token "fixed-date" \(1:\d+\) was left as it is: renewable until .*Set a later renewableUntil/);
    expect(calls()).toEqual([]);
    // Still drift: the gate keeps failing until the program is fixed.
    expect((await provider.diff!(left.id, left.outs, left.inputs as never)).changes).toBe(true);
    const later = iso(clock.now() + 30 * DAY);
    const d1 = await up({ name: "fixed-date", renewableUntil: later }, g.d);
    expect(d1.outs).toMatchObject({ renewableUntil: later, tokenId: d0.outs.tokenId });
    await consumer.renew();
    expect(await consumer.works()).toBe(true);
  });

  test("a declared date that has passed, for a token extended by hand since: preview warns, up sends no PUT, whatever the server's date", async () => {
    const until = iso(clock.start + 5 * DAY);
    const d0 = await up({ name: "extended", renewableUntil: until });
    clock.day(6);
    h.admin = await h.api.login(ADMIN.username, ADMIN.password);
    const later = clock.now() + 60 * DAY;
    expect((await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { renewableUntilTimestamp: later } })).status).toBe(200);
    // A refresh as the engine does it: state and inputs from read (the server's date in both).
    await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
    const read = await provider.read!(d0.id, d0.outs);
    expect(read.props.renewableUntil).toBe(iso(later));
    const checked = await provider.check!(read.inputs!, { name: "extended", renewableUntil: until });
    expect(checked.failures ?? []).toEqual([]);
    clear();
    warnings = [];
    const diff = await provider.diff!(d0.id, read.props, checked.inputs as never);
    expect(diff.changes).toBe(true);
    expect(warnings.join("")).toMatch(/access token "extended" \(id \d+\): the program declares renewableUntil: .*, which has passed, while the token is renewable until .* \(set outside Pulumi\).*Set a later renewableUntil, or use a rolling lifetime.*`pulumi up` leaves this token as it is/);
    const u = await provider.update!(d0.id, read.props, checked.inputs as never);
    expect(u.outs).toEqual({ ...read.props, __unsynced: true });
    expect(calls()).toEqual([]);
    expect(h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === d0.outs.tokenId)!.renewableUntilTimestamp).toBe(later);
    // The engine now stores the program's inputs beside the server's outputs. The next refresh
    // finds nothing new on the server, and still gives the server's inputs back, so that the
    // preview keeps showing the date as `old => new` until the program is fixed.
    forgetRun();
    const again = await provider.read!(d0.id, u.outs!);
    expect(again.inputs).toMatchObject({ renewableUntil: iso(later) });
    // A later date in the program: one PUT, and the state is the program's again.
    const fixed = iso(clock.now() + 90 * DAY);
    const checkedFixed = await provider.check!(again.inputs!, { name: "extended", renewableUntil: fixed });
    const u2 = await provider.update!(d0.id, again.props, checkedFixed.inputs as never);
    expect(u2.outs).not.toHaveProperty("__unsynced");
    forgetRun();
    expect((await provider.read!(d0.id, u2.outs!)).inputs).toBeUndefined();
  });

  describe("the server's clock, from the Date header of its answers (issue 19 item 6)", () => {
    const puts = () => log().filter((e) => e.method === "PUT");
    const stored = (id: number) => h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === id)!;
    /**
     * A token declared until `until`, extended by hand to 60 days on; then the emulator's clock at
     * `server` and ours (COMMVAULT_TOKENS_NOW) at `ours`, and a new run that refreshes it.
     */
    async function extendedByHand(name: string, until: string, server: number, ours: number) {
      const d0 = await up({ name, renewableUntil: until });
      h.running.emulator.clock.set(server);
      h.admin = await h.api.login(ADMIN.username, ADMIN.password);
      const later = server + 60 * DAY;
      expect((await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { renewableUntilTimestamp: later } })).status).toBe(200);
      process.env.COMMVAULT_TOKENS_NOW = String(ours);
      await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
      const read = await provider.read!(d0.id, d0.outs);
      expect(read.props.renewableUntil).toBe(iso(later));
      const checked = await provider.check!(read.inputs!, { name, renewableUntil: until });
      expect(checked.failures ?? []).toEqual([]);
      log().length = 0;
      warnings = [];
      return { d0, read, news: checked.inputs as never, later };
    }

    test("passed by the server's clock (ahead of ours) but not by ours, for a token extended by hand: preview warns naming both clocks, up sends no PUT, the token stays", async () => {
      const until = iso(clock.start + 5 * DAY);
      const { d0, read, news, later } = await extendedByHand("ahead", until, clock.start + 5 * DAY + 3600, clock.start + 5 * DAY - 3600);
      const diff = await provider.diff!(d0.id, read.props, news);
      expect(diff.changes).toBe(true);
      expect(warnings.join("")).toContain(
        `access token "ahead" (id ${d0.outs.tokenId}): the program declares renewableUntil: ${until}, which has passed by the CommServe's clock, which is ahead of this machine's ` +
          `(the CommServe's clock said ${iso(clock.start + 5 * DAY + 3600)} in its last answer; this machine's clock says ${iso(clock.start + 5 * DAY - 3600)}), ` +
          `while the token is renewable until ${iso(later)} (set outside Pulumi); a passed date cannot be sent.`,
      );
      expect(warnings.join("")).toMatch(/and check the CommServe's time \(an NTP source for both machines keeps them together\); until then `pulumi up` leaves this token as it is \(no call\)/);
      const u = await provider.update!(d0.id, read.props, news);
      expect(u.outs).toEqual({ ...read.props, __unsynced: true });
      expect(warnings.join("")).toMatch(/access token "ahead" \(1:\d+\) was left as it is: the program declares renewableUntil: .*, which has passed by the CommServe's clock/);
      expect(puts()).toEqual([]);
      expect(stored(d0.outs.tokenId).renewableUntilTimestamp).toBe(later);
    });

    test("a run that did not refresh learns the server's clock from one list of the owner before planning to send the date", async () => {
      const until = iso(clock.start + 5 * DAY);
      const { d0, read, news, later } = await extendedByHand("ahead-later", until, clock.start + 5 * DAY + 60, clock.start + 5 * DAY - 60);
      // A new run: `pulumi preview` (no --refresh) after an earlier `pulumi refresh`.
      await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
      log().length = 0;
      const diff = await provider.diff!(d0.id, read.props, news);
      expect(diff.changes).toBe(true);
      expect(warnings.join("")).toMatch(/"ahead-later" \(id \d+\): the program declares renewableUntil: .*, which has passed by the CommServe's clock, which is ahead of this machine's/);
      expect(log().filter((e) => e.path !== "/login").map((e) => `${e.method} ${e.path}`)).toEqual(["GET /v4/accesstoken"]);
      await provider.update!(d0.id, read.props, news);
      expect(puts()).toEqual([]);
      expect(stored(d0.outs.tokenId).renewableUntilTimestamp).toBe(later);
    });

    test("without a Date header the server's clock is unknown: the PUT is sent as before, the server refuses it, and up leaves the token as it is", async () => {
      h.running.emulator.variants.omitDateHeader = true;
      const until = iso(clock.start + 5 * DAY);
      const { d0, read, news, later } = await extendedByHand("no-date", until, clock.start + 5 * DAY + 3600, clock.start + 5 * DAY - 3600);
      expect((await provider.diff!(d0.id, read.props, news)).changes).toBe(true);
      expect(warnings.join("")).not.toMatch(/which has passed/);
      const u = await provider.update!(d0.id, read.props, news);
      expect(u.outs).toEqual({ ...read.props, __unsynced: true });
      expect(puts().map((e) => e.status)).toEqual([400]);
      expect(warnings.join("")).toMatch(
        /access token "no-date" \(1:\d+\) was left as it is: the CommServe refused the declared renewableUntil .* as not in the future: it has passed by the server's clock, which is ahead of this machine's .*Set a later renewableUntil, or use a rolling lifetime/,
      );
      expect(stored(d0.outs.tokenId).renewableUntilTimestamp).toBe(later);
    });

    test("a server whose answers carry no Date header is asked once per run, not once per owner", async () => {
      h.running.emulator.variants.omitDateHeader = true;
      const until = iso(clock.start + 5 * DAY);
      const later = iso(clock.start + 60 * DAY);
      const made = [await up({ name: "nd-admin", renewableUntil: until }), await up({ name: "nd-svc", userName: "svc-backup", renewableUntil: until })];
      // The program moves both dates (no hand change needed): each plan PUTs a declared date.
      const news = await Promise.all(made.map(async (d) => (await provider.check!(d.inputs, { ...d.inputs, renewableUntil: later })).inputs as never));
      await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
      log().length = 0;
      for (const [i, d] of made.entries()) expect((await provider.diff!(d.id, d.outs, news[i])).changes).toBe(true);
      expect(log().filter((e) => e.method === "GET" && e.path === "/v4/accesstoken")).toHaveLength(1);
    });

    test("adopting a token whose end differs, with a declared date passed by the server's clock only: refused at preview, and at create, before any PUT", async () => {
      const until = iso(clock.start + 5 * DAY);
      h.running.emulator.clock.set(clock.start + 5 * DAY + 3600);
      h.admin = await h.api.login(ADMIN.username, ADMIN.password);
      const made = await h.api.create(h.admin, { tokenName: "by-hand", renewableUntilTimestamp: clock.start + 60 * DAY });
      const id = made.body.tokenInfo.accessTokenId as number;
      process.env.COMMVAULT_TOKENS_NOW = String(clock.start + 5 * DAY - 3600);
      await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
      log().length = 0;
      const news = { name: "by-hand", renewableUntil: until, adopt: { tokenId: id } };
      const checked = await provider.check!({}, news);
      expect(checked.failures).toEqual([
        {
          property: "renewableUntil",
          reason: expect.stringMatching(
            new RegExp(`^adopt: access token ${id} \\("by-hand"\\): the program declares renewableUntil: ${until}, which has passed by the CommServe's clock, which is ahead of this machine's .*a passed date cannot be sent to bring the token to the program`),
          ),
        },
      ]);
      await expect(provider.create(checked.inputs as never)).rejects.toThrow(/which has passed by the CommServe's clock/);
      expect(puts()).toEqual([]);
      expect(stored(id).renewableUntilTimestamp).toBe(clock.start + 60 * DAY);
      // The same adoption with the token's own date (no PUT needed) goes through.
      const own = await provider.check!({}, { ...news, renewableUntil: iso(clock.start + 60 * DAY) });
      expect(own.failures).toEqual([]);
    });

    test("a server clock behind ours changes nothing: a date passed by ours is not sent (no word of the server's clock), a date in the future by ours is", async () => {
      const until = iso(clock.start + 5 * DAY);
      const behind = await extendedByHand("behind", until, clock.start + 5 * DAY - 3600, clock.start + 5 * DAY + 3600);
      expect((await provider.diff!(behind.d0.id, behind.read.props, behind.news)).changes).toBe(true);
      expect(warnings.join("")).toMatch(/"behind" \(id \d+\): the program declares renewableUntil: .*, which has passed, while the token is renewable until/);
      expect(warnings.join("")).not.toMatch(/CommServe's clock/);
      await provider.update!(behind.d0.id, behind.read.props, behind.news);
      expect(puts()).toEqual([]);

      const future = iso(clock.start + 6 * DAY);
      const d0 = await up({ name: "behind-future", renewableUntil: future });
      h.admin = await h.api.login(ADMIN.username, ADMIN.password);
      expect((await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { renewableUntilTimestamp: clock.start + 60 * DAY } })).status).toBe(200);
      await configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
      const read = await provider.read!(d0.id, d0.outs);
      expect(read.props.renewableUntil).toBe(iso(clock.start + 60 * DAY));
      const checked = await provider.check!(read.inputs!, { name: "behind-future", renewableUntil: future });
      log().length = 0;
      const d1 = await up({ name: "behind-future", renewableUntil: future }, { id: d0.id, inputs: checked.inputs as Record<string, unknown>, outs: read.props });
      expect(d1.action).toBe("update");
      expect(puts().map((e) => [e.status, e.body])).toEqual([[200, { renewableUntilTimestamp: clock.start + 6 * DAY }]]);
      expect(stored(d0.outs.tokenId).renewableUntilTimestamp).toBe(clock.start + 6 * DAY);
    });
  });

  test("a new past date is refused by check, naming the field and the fix", async () => {
    const d0 = await up({ name: "past", renewableUntil: iso(clock.start + 5 * DAY) });
    clock.day(2);
    await expect(up({ name: "past", renewableUntil: iso(clock.start + DAY) }, d0)).rejects.toThrow(/renewableUntil .* is in the past; choose a time in the future/);
  });

  test("a consumer renewing between runs is no drift and comes to no harm", async () => {
    const d0 = await up({ name: "busy", renewableFor: "90d" });
    const consumer = consumerOf(d0);
    clock.day(1);
    await consumer.renew();
    const g = await gate(d0);
    expect(g.changes).toBe(false);
    expect(g.d.outs.accessTokenExpiresAt).not.toBe(d0.outs.accessTokenExpiresAt);
    await up(g.d.inputs, g.d);
    await consumer.renew();
    expect(await consumer.works()).toBe(true);
    expect(renews()).toBe(consumer.renewals);
  });
});
