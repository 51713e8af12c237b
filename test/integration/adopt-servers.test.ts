import { startEmulator, type RunningEmulator } from "../../emulator";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { CheckFailed, configure, provider, refresh, up } from "../helpers/lifecycle";
import { captureNotes } from "../helpers/notes";
import { RawApi } from "../helpers/raw-api";
import { setUrnSource } from "../../provider/connection/runtime";

/** Issue 9 against the emulator: adopting tokens made by hand, and several CommServes at once. */
describe("existing tokens and several CommServes", () => {
  const h = useEmulator();
  const settings = () => ({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password });
  const writes = (e: RunningEmulator = h.running) => e.emulator.log.filter((l) => l.method !== "GET" && l.path !== "/login").map((l) => `${l.method} ${l.path}`);
  const byHand = async (body: Record<string, unknown>) => (await h.api.create(h.admin, body)).body.tokenInfo as { accessTokenId: number; accessToken: string };
  beforeEach(() => configure(settings()));

  describe("adopt", () => {
    test("by id: no POST, no DELETE, one PUT for the declared fields; the secret is plainly unknown; the next run has no change", async () => {
      const t = await byHand({ tokenName: "legacy", allowedIPs: ["10.0.0.1"] });
      h.running.emulator.log.length = 0;
      const d = await up({ name: "legacy", ipAllowlist: ["10.0.0.0/8"], adopt: { tokenId: t.accessTokenId } });
      expect(writes()).toEqual([`PUT /v4/accesstoken/${t.accessTokenId}`]);
      expect(h.running.emulator.log.find((l) => l.method === "PUT")!.body).toEqual({ allowedIPs: ["10.0.0.0/8"] });
      expect(d.id).toBe(`${ADMIN.userId}:${t.accessTokenId}`);
      expect(d.outs).toMatchObject({ tokenId: t.accessTokenId, secretKnown: false, ipAllowlist: ["10.0.0.0/8"], createdAt: expect.stringMatching(/Z$/) });
      expect(d.outs.accessToken).toBeUndefined();
      expect(d.outs.refreshToken).toBeUndefined();
      h.running.emulator.log.length = 0;
      expect((await up({ name: "legacy", ipAllowlist: ["10.0.0.0/8"], adopt: { tokenId: t.accessTokenId } }, d)).action).toBe("same");
      // Removing adopt later changes nothing.
      expect((await up({ name: "legacy", ipAllowlist: ["10.0.0.0/8"] }, d)).action).toBe("same");
      expect(writes()).toEqual([]);
      // The hand-made token is still there for its consumer: nothing was revoked.
      expect(h.running.emulator.store.data.tokens.map((x) => x.accessTokenId)).toEqual([t.accessTokenId]);
    });

    test("by name, a service account's: no write at all when it already matches", async () => {
      await h.api.create(h.admin, { tokenName: "Backup-Job", userId: SVC_BACKUP });
      h.running.emulator.log.length = 0;
      const d = await up({ name: "backup-job", userName: "svc-backup", adopt: { byName: true } });
      expect(writes()).toEqual([`PUT /v4/accesstoken/${d.outs.tokenId}`]);
      expect(h.running.emulator.log.find((l) => l.method === "PUT")!.body).toEqual({ tokenName: "backup-job" });
      expect(d.outs).toMatchObject({ userId: SVC_BACKUP, secretKnown: false });
    });

    test.each([
      ["a missing token", () => ({ name: "x", adopt: { tokenId: 999 } }), /adopt.tokenId: user admin \(id 1\) has no access token with id 999/],
      ["a name nobody has", () => ({ name: "nothing-here", adopt: { byName: true } }), /adopt.byName: user admin \(id 1\) has no access token named "nothing-here"/],
    ])("%s is refused by check, before any write", async (_what, args, message) => {
      h.running.emulator.log.length = 0;
      await expect(up(args())).rejects.toThrow(message);
      expect(writes()).toEqual([]);
    });

    test("another owner's token, and a SCIM token declared as All, are refused by check, saying why", async () => {
      const svc = (await h.api.create(h.admin, { tokenName: "svc-token", userId: SVC_BACKUP })).body.tokenInfo.accessTokenId;
      await expect(up({ name: "svc-token", adopt: { tokenId: svc } })).rejects.toThrow(/belongs to user svc-backup \(id 21\), not to user admin \(id 1\); set userId: 21/);
      const scim = await byHand({ tokenName: "scim", tokenType: 1 });
      h.running.emulator.log.length = 0;
      const err = (await up({ name: "scim", adopt: { tokenId: scim.accessTokenId } }).catch((e: unknown) => e)) as CheckFailed;
      expect(err.failures).toEqual([{ property: "scope", reason: expect.stringMatching(/is a Microsoft SCIM token and the program declares scope "All".*declare scope "MicrosoftSCIM"/) }]);
      expect(writes()).toEqual([]);
    });

    test("thenRotate: a new token with a known secret under the name; the adopted one keeps working aside for the overlap", async () => {
      const t = await byHand({ tokenName: "rotate-me" });
      h.running.emulator.log.length = 0;
      const d = await up({ name: "rotate-me", rotation: { everyDays: 30, overlapDays: 7 }, adopt: { tokenId: t.accessTokenId, thenRotate: true } });
      expect(writes()).toEqual([`PUT /v4/accesstoken/${t.accessTokenId}`, "POST /v4/accesstoken"]);
      expect(d.outs.secretKnown).toBeUndefined();
      expect(d.outs.accessToken).toMatch(/^[0-9a-f]+$/);
      expect(d.outs.previous).toMatchObject({ tokenId: t.accessTokenId, name: "rotate-me~g1" });
      expect((await h.api.call("GET", "/v2/WhoAmI", { token: t.accessToken })).status).toBe(200);
    });

    test("two resources adopting one token: the second is refused at preview, before any write", async () => {
      const t = await byHand({ tokenName: "shared" });
      h.running.emulator.log.length = 0;
      await up({ name: "shared", adopt: { byName: true } });
      await expect(up({ name: "shared-2", adopt: { tokenId: t.accessTokenId } })).rejects.toThrow(/access token \d+ \("shared"\) is already managed by the resource of access token "shared", which adopts it in this run, and the resource of access token "shared-2" adopts it too; a token can be managed by one resource only/);
      expect(writes()).toEqual([]);
    });

    test("two resources of one name adopting by name (a copied block), in one up: the second is refused at preview; no PUT, state never holds the token twice", async () => {
      await byHand({ tokenName: "spare-backup", userId: SVC_BACKUP, allowedIPs: ["10.0.0.1"] });
      h.running.emulator.log.length = 0;
      const spec = { name: "spare-backup", userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"], adopt: { byName: true } };
      // The engine checks every resource as it registers, before their creates run.
      const a = await provider.check!({}, spec);
      const b = await provider.check!({}, spec);
      expect(a.failures).toEqual([]);
      expect(b.failures).toEqual([expect.objectContaining({ property: "adopt", reason: expect.stringMatching(/is already managed by the resource of access token "spare-backup", which adopts it in this run.*a token can be managed by one resource only/) })]);
      expect(writes()).toEqual([]);
      // Were both creates to run (a check that saw unknown inputs), the second is refused before its PUT.
      await provider.create(a.inputs);
      h.running.emulator.log.length = 0;
      await expect(provider.create(a.inputs)).rejects.toThrow(/already managed by the resource of access token "spare-backup", which adopted it in this run/);
      expect(writes()).toEqual([]);
    });

    test("a new resource adopting a token that another resource of the stack manages (created or adopted in an earlier up) is refused at preview, naming both", async () => {
      const made = await up({ name: "owned", userName: "svc-backup" });
      const t = await byHand({ tokenName: "kept", userId: SVC_BACKUP });
      const adopted = await up({ name: "kept", userName: "svc-backup", adopt: { tokenId: t.accessTokenId } });
      // The next up: both holders are diffed as they register, then the new resources are checked.
      await configure(settings());
      expect((await up(made.inputs, made)).action).toBe("same");
      expect((await up(adopted.inputs, adopted)).action).toBe("same");
      h.running.emulator.log.length = 0;
      await expect(up({ name: "owned", userName: "svc-backup", adopt: { byName: true } })).rejects.toThrow(
        new RegExp(`access token ${made.outs.tokenId} \\("owned"\\) is already managed by the resource of access token "owned", which holds it in this stack's state, and the resource of access token "owned" adopts it too`),
      );
      await expect(up({ name: "renamed", userName: "svc-backup", adopt: { tokenId: t.accessTokenId } })).rejects.toThrow(
        new RegExp(`access token ${t.accessTokenId} \\("kept"\\) is already managed by the resource of access token "kept", which holds it in this stack's state, and the resource of access token "renamed" adopts it too`),
      );
      expect(writes()).toEqual([]);
    });

    test("a token another resource created in this same up cannot be adopted", async () => {
      const made = await up({ name: "fresh", userName: "svc-backup" });
      await expect(up({ name: "fresh-2", userName: "svc-backup", adopt: { tokenId: made.outs.tokenId } })).rejects.toThrow(/is already managed by another resource of this stack, which created it in this run/);
    });

    test("through the plugin, the refusal names both resources by URN; one resource's own check and create are one claim", async () => {
      const t = await byHand({ tokenName: "plug", userId: SVC_BACKUP });
      const spec = { name: "plug", userName: "svc-backup", adopt: { tokenId: t.accessTokenId } };
      const urnA = "urn:pulumi:dev::p::commvault:index:AccessToken::a";
      const urnB = "urn:pulumi:dev::p::commvault:index:AccessToken::b";
      try {
        setUrnSource(() => urnA);
        const a = await provider.check!({}, spec);
        expect(a.failures).toEqual([]);
        setUrnSource(() => urnB);
        expect((await provider.check!({}, spec)).failures).toEqual([expect.objectContaining({ reason: expect.stringContaining(`already managed by resource ${urnA}, which adopts it in this run, and resource ${urnB} adopts it too`) })]);
        setUrnSource(() => urnA);
        await expect(provider.create(a.inputs)).resolves.toMatchObject({ id: `${SVC_BACKUP}:${t.accessTokenId}` });
      } finally {
        setUrnSource(undefined);
      }
    });

    test("through the dynamic provider, the Node.js SDK's hidden resource name names both resources; it is in no output and makes no diff", async () => {
      const t = await byHand({ tokenName: "spare-backup", userId: SVC_BACKUP });
      const spec = { name: "spare-backup", userName: "svc-backup", adopt: { byName: true } };
      const a = await provider.check!({}, { ...spec, __resource: "spare" });
      expect(a.failures).toEqual([]);
      expect(a.inputs.__resource).toBe("spare");
      const b = await provider.check!({}, { ...spec, __resource: "spareCopy" });
      expect(b.failures).toEqual([
        expect.objectContaining({ reason: expect.stringContaining(`access token ${t.accessTokenId} ("spare-backup") is already managed by resource "spare", which adopts it in this run, and resource "spareCopy" adopts it too`) }),
      ]);
      const made = await provider.create(a.inputs);
      expect(made.outs).not.toHaveProperty("__resource");
      // A stack whose state predates the hidden input (or any state: outputs never hold it): no change.
      await configure(settings());
      const again = await provider.check!(a.inputs, { ...spec, __resource: "spare" });
      expect(await provider.diff!(made.id, made.outs, again.inputs)).toEqual({ changes: false });
      // A later adopter of the held token is refused naming the holder by its logical name.
      const late = await provider.check!({}, { name: "other", userName: "svc-backup", adopt: { tokenId: t.accessTokenId }, __resource: "late" });
      expect(late.failures).toEqual([expect.objectContaining({ reason: expect.stringContaining(`is already managed by resource "spare", which holds it in this stack's state, and resource "late" adopts it too`) })]);
    });

    describe("a hand-over: one resource dropped, another adopting its token, in one up", () => {
      const said = captureNotes();
      const deployed = async (urn?: string) => {
        setUrnSource(urn === undefined ? undefined : () => urn);
        const made = await up({ name: "made-here", userName: "svc-backup" });
        // The next up: the new resource's check and create run before the dropped one's delete.
        await configure(settings());
        return made;
      };
      const alive = (id: number) => h.running.emulator.store.data.tokens.some((t) => t.accessTokenId === id);

      test("the dropped resource's delete does not revoke what the new one adopted, and says so; a later destroy revokes it", async () => {
        const made = await deployed();
        const adopter = await up({ name: "made-here", userName: "svc-backup", adopt: { byName: true } });
        expect(adopter.outs.tokenId).toBe(made.outs.tokenId);
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([]);
        expect(alive(made.outs.tokenId)).toBe(true);
        expect(said).toEqual([
          `warning: access token ${made.outs.tokenId} of the resource of access token "made-here" was handed over to the resource of access token "made-here" in this run; not revoked: that resource manages it now`,
        ]);
        // A later run (a destroy): no adoption in it, so the new holder's delete revokes it.
        await configure(settings());
        await provider.delete!(adopter.id, adopter.outs);
        expect(writes()).toEqual([`DELETE /v4/accesstoken/${made.outs.tokenId}`]);
        expect(alive(made.outs.tokenId)).toBe(false);
      });

      test("through the dynamic provider, the warning names the adopter by the logical name the Node.js SDK passes", async () => {
        const made = await deployed();
        const checked = await provider.check!({}, { name: "made-here", userName: "svc-backup", adopt: { byName: true }, __resource: "d1" });
        await provider.create(checked.inputs);
        await provider.delete!(made.id, made.outs);
        expect(said).toEqual([`warning: access token ${made.outs.tokenId} of the resource of access token "made-here" was handed over to resource "d1" in this run; not revoked: that resource manages it now`]);
      });

      test("a hand-over cut short (state holds both): the next up's delete of the dropped one leaves the token to the declared one", async () => {
        const made = await deployed();
        const adopter = await up({ name: "made-here", userName: "svc-backup", adopt: { byName: true } });
        // Killed here: state holds c1 and d1 with one token. The next run diffs d1, then deletes c1.
        await configure(settings());
        expect((await up(adopter.inputs, adopter)).action).toBe("same");
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([]);
        expect(alive(made.outs.tokenId)).toBe(true);
        expect(said).toEqual([
          `warning: access token ${made.outs.tokenId} of the resource of access token "made-here" is also held by the resource of access token "made-here", which the program declares; not revoked: that resource manages it (a hand-over cut short before this delete)`,
        ]);
      });

      test("a resource's own token is revoked by its own delete: a replacement (diff says so, or --replace), a refresh then a removal", async () => {
        const made = await deployed();
        // A replacement: the diff is given the state the delete is then given.
        const replaced = await up({ name: "made-here", userName: "svc-backup", scope: "MicrosoftSCIM", replaceOnForbiddenScopeChange: true }, made);
        expect(replaced.action).toMatch(/replace/);
        expect(alive(made.outs.tokenId)).toBe(false);
        // `pulumi up --replace`: a diff with no change, then the delete.
        await configure(settings());
        expect((await up(replaced.inputs, replaced)).action).toBe("same");
        await provider.delete!(replaced.id, replaced.outs);
        expect(alive(replaced.outs.tokenId)).toBe(false);
        // `pulumi up --refresh` of a program that dropped it: read, then delete.
        const again = await up({ name: "made-here-2", userName: "svc-backup" });
        await configure(settings());
        const read = await refresh(again);
        await provider.delete!(read!.id, read!.outs);
        expect(alive(again.outs.tokenId)).toBe(false);
        expect(said).toEqual([]);
      });

      test("with thenRotate: the adopted token, now kept aside by the new resource for the overlap, is not revoked by the dropped one's delete", async () => {
        const made = await deployed();
        const adopter = await up({ name: "made-here", userName: "svc-backup", rotation: { everyDays: 30, overlapDays: 7 }, adopt: { byName: true, thenRotate: true } });
        expect(adopter.outs.previous).toMatchObject({ tokenId: made.outs.tokenId });
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([]);
        expect(alive(made.outs.tokenId)).toBe(true);
        expect(said.filter((m) => m.includes("was handed over to"))).toHaveLength(1);
      });

      test("without an adoption in the run (the adopter removed again, or a destroy), the delete revokes as before", async () => {
        const made = await deployed();
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([`DELETE /v4/accesstoken/${made.outs.tokenId}`]);
        expect(said).toEqual([]);
      });

      test("an adoption that failed hands nothing over: the delete revokes", async () => {
        const made = await deployed();
        // Declared as another scope: refused, so the token is nobody else's.
        await expect(up({ name: "made-here", userName: "svc-backup", scope: "MicrosoftSCIM", adopt: { byName: true } })).rejects.toThrow(/is a All token and the program declares scope "MicrosoftSCIM"/);
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([`DELETE /v4/accesstoken/${made.outs.tokenId}`]);
      });

      test("through the plugin, the warning names both resources by URN", async () => {
        const urnC = "urn:pulumi:dev::p::commvault:index:AccessToken::c1";
        const urnD = "urn:pulumi:dev::p::commvault:index:AccessToken::d1";
        const made = await deployed(urnC);
        setUrnSource(() => urnD);
        await up({ name: "made-here", userName: "svc-backup", adopt: { byName: true } });
        setUrnSource(() => urnC);
        h.running.emulator.log.length = 0;
        await provider.delete!(made.id, made.outs);
        expect(writes()).toEqual([]);
        expect(said).toEqual([`warning: access token ${made.outs.tokenId} of resource ${urnC} was handed over to resource ${urnD} in this run; not revoked: that resource manages it now`]);
      });
    });

    test.each([
      ["the Node.js SDK's hidden name", undefined],
      ["the plugin's URN", "urn:pulumi:dev::p::commvault:index:AccessToken::once"],
    ])("once adopted, adopt is inert: a later replacement makes a new token (the resource known by %s)", async (_how, urn) => {
      // The engine checks a resource it replaces again as if it were new (no olds): that check
      // used to see adopt, refuse the resource's own token, and so block every replacement.
      setUrnSource(urn === undefined ? undefined : () => urn);
      try {
        const t = await byHand({ tokenName: "once" });
        const d0 = await up({ name: "once", adopt: { tokenId: t.accessTokenId }, __resource: "once" });
        // A later run (the engine never replaces, in one run, a resource it created in that run).
        await configure(settings());
        const d1 = await up({ name: "once", scope: "OneTouchRecovery", replaceOnForbiddenScopeChange: true, adopt: { tokenId: t.accessTokenId }, __resource: "once" }, d0);
        expect(d1.action).toBe("delete-replace");
        expect(d1.inputs).not.toHaveProperty("adopt");
        expect(d1.outs.tokenId).not.toBe(t.accessTokenId);
        expect(d1.outs.accessToken).toMatch(/^[0-9a-f]+$/);
        expect(h.running.emulator.store.data.tokens.filter((x) => x.tokenName === "once").map((x) => x.accessTokenId)).toEqual([d1.outs.tokenId]);
      } finally {
        setUrnSource(undefined);
      }
    });
  });

  describe("several CommServes", () => {
    let dr: RunningEmulator;
    let drApi: RawApi;
    beforeAll(async () => {
      dr = await startEmulator({ port: 0, control: true });
      drApi = new RawApi(dr.url);
    });
    afterAll(() => dr.close());
    const withDr = () =>
      configure({ ...settings(), "commvault:servers": JSON.stringify({ dr: { url: dr.url, username: ADMIN.username, password: ADMIN.password } }) });

    test("tokens on two servers from one configuration; an update touches only its own server", async () => {
      dr.emulator.reset();
      await withDr();
      const prod = await up({ name: "replicated" });
      const disaster = await up({ name: "replicated", server: "dr" });
      expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["replicated"]);
      expect(dr.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["replicated"]);
      h.running.emulator.log.length = 0;
      dr.emulator.log.length = 0;
      await up({ name: "replicated", server: "dr", ipAllowlist: ["10.9.0.0/16"] }, disaster);
      expect(writes(dr)).toEqual([`PUT /v4/accesstoken/${disaster.outs.tokenId}`]);
      expect(writes()).toEqual([]);
      expect(prod.outs.server).toBeUndefined();
      expect(dr.emulator.store.data.tokens[0]!.allowedIPs).toEqual(["10.9.0.0/16"]);
      expect((await drApi.call("GET", "/v2/WhoAmI", { token: prod.outs.accessToken })).status).toBe(401);
    });

    test("a profile renamed in config (same URL) is no replacement; a profile pointed at another server writes nothing there", async () => {
      dr.emulator.reset();
      await withDr();
      const d0 = await up({ name: "kept", server: "dr" });
      // The same CommServe under another profile name: recorded, no call.
      await configure({ ...settings(), "commvault:servers": JSON.stringify({ "dr-site": { url: dr.url, username: ADMIN.username, password: ADMIN.password } }) });
      dr.emulator.log.length = 0;
      const d1 = await up({ name: "kept", server: "dr-site" }, d0);
      expect(d1.action).toBe("update");
      expect(d1.outs).toMatchObject({ server: "dr-site", tokenId: d0.outs.tokenId });
      expect(writes(dr)).toEqual([]);
      // The profile now names the default server, where the same id is another token.
      const other = await h.api.create(h.admin, { tokenName: "someone-else" });
      expect(other.body.tokenInfo.accessTokenId).toBe(d0.outs.tokenId);
      await configure({ ...settings(), "commvault:servers": JSON.stringify({ "dr-site": { url: h.running.url, username: ADMIN.username, password: ADMIN.password } }) });
      h.running.emulator.log.length = 0;
      await expect(up({ name: "kept", server: "dr-site", ipAllowlist: ["10.9.0.0/16"] }, d1)).rejects.toThrow(/planning access token "kept" \(id \d+\): it was made on .*, but the profile commvault:servers.dr-site now names .*where token \d+ is another token \("someone-else"/);
      await expect(refresh(d1)).rejects.toThrow(/refreshing access token "kept"/);
      await expect(provider.delete!(d1.id, d1.outs)).rejects.toThrow(/Nothing was written. Point the setting back/);
      expect(writes()).toEqual([]);
    });

    test("moving a token to another server replaces it there; a server with no profile is refused by check with the commands that set it", async () => {
      dr.emulator.reset();
      await withDr();
      const d0 = await up({ name: "mover" });
      const d1 = await up({ name: "mover", server: "dr" }, d0);
      expect(d1.action).toBe("create-replace");
      expect(h.running.emulator.store.data.tokens.find((t) => t.tokenName === "mover")).toBeUndefined();
      expect(dr.emulator.store.data.tokens.map((t) => t.tokenName)).toEqual(["mover"]);
      const err = (await up({ name: "y", server: "eu" }).catch((e: unknown) => e)) as CheckFailed;
      expect(err.failures).toEqual([
        { property: "server", reason: expect.stringMatching(/no CommServe profile "eu" is configured: set it with `pulumi config set --path commvault:servers.eu.url https:\/\/...`.*--secret commvault:servers.eu.password.*\(configured: dr\)/) },
      ]);
      expect(provider).toBeDefined();
    });
  });
});
