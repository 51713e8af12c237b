import { SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { interruptedRig } from "../helpers/interrupted";
import { up, type Deployed } from "../helpers/lifecycle";
import { captureStderr as stderr } from "../helpers/notes";
import { sharedClock } from "../helpers/time";

/**
 * A rotation killed mid-way (issue 19 item 1): the rename of the current token to `<name>~g<n>`
 * answered, then every process of `pulumi up` died while (or after) the new token's POST was on
 * the wire. The server holds the old token aside and a new one, never used, under the declared
 * name, whose secret was lost; state still holds the old token, and the next `up` plans the
 * rotation again. Simulated as the killed run leaves it: the rename and the provider's request
 * for the new token, sent to the server directly, then a new run (configure) with the same inputs.
 */
describe("a rotation that a run cut short left half done", () => {
  const h = useEmulator();
  const clock = sharedClock(h);
  const { confirm, newRun, login } = interruptedRig(h, clock);
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login").map((e) => `${e.method} ${e.path}`);
  const held = (prefix: string) =>
    h.running.emulator.store.data.tokens
      .filter((t) => t.userId === SVC_BACKUP && t.tokenName.startsWith(prefix))
      .map((t) => `${t.tokenName}=${t.accessTokenId}`)
      .sort();
  const failed = (p: Promise<unknown>) => p.then(() => undefined, (e: Error) => e);

  /** The first `up` (generation 1), then what the killed rotation did: the rename, and (unless `posted` is false) the new token's POST. */
  async function killedRotation(name: string, extra: Record<string, unknown> = {}, posted: false | Record<string, unknown> = {}): Promise<{ d0: Deployed; left?: number }> {
    clock.day(0);
    await newRun();
    const d0 = await up({ name, userName: "svc-backup", rotationTrigger: "a", ...extra });
    await login();
    const put = await h.api.call("PUT", `/V4/AccessToken/${d0.outs.tokenId}`, { token: h.admin, body: { tokenName: `${name}~g1` } });
    expect(put.status).toBe(200);
    if (posted === false) return { d0 };
    const r = await h.api.create(h.admin, { tokenName: name, userId: SVC_BACKUP, ...posted });
    expect(r.status).toBe(200);
    return { d0, left: (r.body.tokenInfo as { accessTokenId: number }).accessTokenId };
  }

  /** The next `up`, a few minutes later, planning the same rotation again; with its output. */
  async function rerun(d0: Deployed, extra: Record<string, unknown> = {}) {
    clock.set(clock.now() + 180);
    await newRun();
    h.running.emulator.log.length = 0;
    const out = stderr();
    try {
      const d = await up({ name: d0.inputs.name, userName: "svc-backup", rotationTrigger: "b", ...extra }, d0);
      return { d, text: out.text() };
    } finally {
      out.restore();
    }
  }

  test("killed after the rename and before the POST: the next up simply finishes the rotation (no second rename)", async () => {
    const { d0 } = await killedRotation("before-post", {}, false);
    const { d } = await rerun(d0);
    expect(writes()).toEqual(["POST /v4/accesstoken"]);
    expect(d.outs).toMatchObject({ generation: 2, previous: { tokenId: d0.outs.tokenId, name: "before-post~g1" } });
    expect(held("before-post")).toEqual([`before-post=${d.outs.tokenId}`, `before-post~g1=${d0.outs.tokenId}`].sort());
  });

  test("its new token's id confirmed: revoked, said by name, and the rotation finishes; the old token stays aside for the overlap", async () => {
    const { d0, left } = await killedRotation("confirmed");
    confirm(left!);
    const { d, text } = await rerun(d0);
    expect(writes()).toEqual([`DELETE /v4/accesstoken/${left}`, "POST /v4/accesstoken"]);
    expect(text).toMatch(
      new RegExp(
        `rotating access token "confirmed" of user svc-backup: token ${left}, created .*, confirmed by COMMVAULT_TOKENS_SETTLE as the new token of this resource's rotation that a run cut short left behind \\(this resource's token ${d0.outs.tokenId} already holds its aside name "confirmed~g1".*never used nor renewed.*revoking it and finishing the rotation`,
      ),
    );
    expect(d.outs.tokenId).not.toBe(left);
    expect(d.outs).toMatchObject({ generation: 2, previous: { tokenId: d0.outs.tokenId, name: "confirmed~g1" } });
    expect(held("confirmed")).toEqual([`confirmed=${d.outs.tokenId}`, `confirmed~g1=${d0.outs.tokenId}`].sort());
    // The old token still works for the overlap; the new one is the resource's, with its secret.
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d0.outs.accessToken })).status).toBe(200);
    expect((await h.api.call("GET", "/v2/WhoAmI", { token: d.outs.accessToken })).status).toBe(200);
  });

  test("not confirmed: refused before any write, naming the token, why it looks like the rotation's, and the command; ids accumulate with creates' leftovers", async () => {
    const { d0, left } = await killedRotation("unconfirmed");
    const err = await failed(rerun(d0));
    expect(err?.message).toMatch(new RegExp(`rotating access token "unconfirmed": a Commvault access token named "unconfirmed" already exists for user svc-backup \\(token id ${left}, created `));
    expect(err?.message).toMatch(new RegExp(`It looks like the new token of a rotation of this resource that a run of this stack cut short left behind: this resource's token ${d0.outs.tokenId} already holds its aside name "unconfirmed~g1"`));
    expect(err?.message).toMatch(/never used nor renewed/);
    expect(err?.message).toContain(`run \`COMMVAULT_TOKENS_SETTLE=${left} pulumi up\``);
    expect(writes()).toEqual([]);
    expect(held("unconfirmed")).toEqual([`unconfirmed=${left}`, `unconfirmed~g1=${d0.outs.tokenId}`].sort());

    // Run as printed: settled.
    confirm(left!);
    const { d } = await rerun(d0);
    expect(d.outs).toMatchObject({ generation: 2, previous: { tokenId: d0.outs.tokenId } });
    expect(held("unconfirmed")).toEqual([`unconfirmed=${d.outs.tokenId}`, `unconfirmed~g1=${d0.outs.tokenId}`].sort());
  });

  test("the printed command lists a create's leftover and a rotation's alike, in one run", async () => {
    const { d0, left } = await killedRotation("rot-a");
    const orphan = (await h.api.create(h.admin, { tokenName: "new-b", userId: SVC_BACKUP })).body.tokenInfo.accessTokenId as number;
    clock.set(clock.now() + 180);
    await newRun();
    const first = await failed(up({ name: "new-b", userName: "svc-backup" }));
    expect(first?.message).toContain(`COMMVAULT_TOKENS_SETTLE=${orphan} pulumi up`);
    const second = await failed(up({ name: "rot-a", userName: "svc-backup", rotationTrigger: "b" }, d0));
    expect(second?.message).toContain(`COMMVAULT_TOKENS_SETTLE=${[orphan, left!].sort((a, b) => a - b).join(",")} pulumi up`);
  });

  test("a token under the name that has been used is never touched, even confirmed: the refusal names it, the failed point and the ways out", async () => {
    const { d0, left } = await killedRotation("used");
    // Someone holds its secret: the one the test's create answered with.
    const made = h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === left)!;
    made.lastUsedTime = clock.now();
    confirm(left!);
    const err = await failed(rerun(d0));
    expect(err?.message).toMatch(new RegExp(`already exists for user svc-backup \\(token id ${left}, created [^)]*\\); names are unique per user. COMMVAULT_TOKENS_SETTLE lists token ${left}, but the evidence does not hold, so it is never revoked`));
    expect(err?.message).toMatch(/A rotation of this resource was cut short \(this resource.s token \d+ already holds its aside name "used~g1".*\), and that run may have made token \d+; but it is not taken for that rotation.s new token because it has been used \(last at /);
    expect(err?.message).toMatch(/revoke it in Command Center and run `pulumi up` again: the rotation finishes/);
    expect(writes()).toEqual([]);
    expect(held("used")).toEqual([`used=${left}`, `used~g1=${d0.outs.tokenId}`].sort());
  });

  test("a token under the name that differs from the declaration is never touched", async () => {
    const { d0, left } = await killedRotation("differs", { ipAllowlist: ["10.0.0.0/8"] }, { allowedIPs: ["10.0.0.1"] });
    confirm(left!);
    const err = await failed(rerun(d0, { ipAllowlist: ["10.0.0.0/8"] }));
    expect(err?.message).toMatch(/because its IP allow list is not the declared one/);
    expect(writes()).toEqual([]);
  });

  test("our token NOT aside: a token under the declared name is another's, refused as before, even confirmed", async () => {
    clock.day(0);
    await newRun();
    const d0 = await up({ name: "plain", userName: "svc-backup", rotationTrigger: "a" });
    await login();
    // Not a rotation's leftover: the current token still holds the declared name, so this one is under the aside name.
    const other = (await h.api.create(h.admin, { tokenName: "plain~g1", userId: SVC_BACKUP })).body.tokenInfo.accessTokenId as number;
    confirm(other);
    const err = await failed(rerun(d0));
    expect(err?.message).toMatch(new RegExp(`another token \\(id ${other}\\) already holds the name "plain~g1"; names are unique per user`));
    expect(writes()).toEqual([]);
  });
});
