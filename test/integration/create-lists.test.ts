import { ADMIN, SVC_BACKUP, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { configure, forgetRun, provider, refresh, up, type Deployed } from "../helpers/lifecycle";

/**
 * Issue 11 item 3: a create no longer costs a list of its owner's whole list per token, and the
 * guarantees stay (a taken name refused before any POST, createdAt the server's).
 */
describe("lists sent by creates", () => {
  const h = useEmulator();
  beforeEach(() => configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password }));
  const calls = () => h.running.emulator.log.map((e) => `${e.method} ${e.path.split("?")[0]}`);
  const count = (call: string) => calls().filter((c) => c === call).length;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test("creates that arrive one after another, as the engine sends them, share their lists", async () => {
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 25 });
    h.running.emulator.log.length = 0;
    // The engine starts a step whenever one of its workers is free: here one every 10 ms, so that
    // several are under way at once, at different stages.
    const owners = [SVC_BACKUP, SVC_REPORTING];
    const created = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        await pause(10 * i);
        return up({ name: `paced-${i}`, userName: owners[i % 2] === SVC_BACKUP ? "svc-backup" : "svc-reporting" });
      }),
    );
    await h.api.ctl("DELETE", "faults");
    expect(count("POST /v4/accesstoken")).toBe(40);
    const lists = count("GET /v4/accesstoken");
    // Measured: 6 here; 24 when each create's name check and look-up took the next list.
    expect(lists).toBeLessThanOrEqual(12);
    for (const d of created) {
      const stored = h.running.emulator.store.token(d.outs.tokenId as number)!;
      expect(d.outs.createdAt).toBe(new Date(stored.createdTime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
    }
  });

  test("the reads of a refresh share each owner's list for a moment, and a refresh after a hand delete sees it", async () => {
    const owners = ["svc-backup", "svc-reporting"];
    const made: Deployed[] = [];
    for (let i = 0; i < 20; i++) made.push(await up({ name: `r-${i}`, userName: owners[i % 2] }));
    await h.api.ctl("POST", "faults", { kind: "latency", delayMs: 25 });
    forgetRun(); // a refresh is a run of its own
    h.running.emulator.log.length = 0;
    // The engine reads a few at a time, at the pace of their answers.
    const read = await Promise.all(
      made.map(async (d, i) => {
        await pause(10 * i);
        return provider.read!(d.id, d.outs);
      }),
    );
    await h.api.ctl("DELETE", "faults");
    expect(read.every((r, i) => r.id === made[i]!.id)).toBe(true);
    // Measured: 2 (one per owner); 16 when each read waited for a list sent after it asked.
    expect(count("GET /v4/accesstoken")).toBeLessThanOrEqual(4);

    await h.api.call("DELETE", `/V4/AccessToken/${made[3]!.outs.tokenId}`, { token: h.admin });
    expect(await refresh(made[3]!)).toBeUndefined();
  });

  test("a name taken just now by one of this run's renames is refused before any POST", async () => {
    const a = await up({ name: "first" });
    h.running.emulator.log.length = 0;
    // The rename's PUT ends after the last list was sent: the name check must not trust that list.
    await up({ name: "second" }, a);
    await expect(up({ name: "second" })).rejects.toThrow(/a Commvault access token named "second" already exists for user admin .*names are unique per user/);
    expect(count("POST /v4/accesstoken")).toBe(0);
    // And the name the rename freed can be taken at once.
    const b = await up({ name: "first" });
    expect(b.outs.tokenId).not.toBe(a.outs.tokenId);
  });

  test("a token deleted by hand a moment ago does not refuse its name; one made by hand is refused", async () => {
    const kept = await up({ name: "kept" });
    await h.api.call("DELETE", `/V4/AccessToken/${kept.outs.tokenId}`, { token: h.admin });
    const again = await up({ name: "kept" });
    expect(again.outs.tokenId).not.toBe(kept.outs.tokenId);

    // Made by hand after this process's last list: the name check trusts that list, the server
    // refuses the POST, and the refusal reads as the name check's. Nothing is made or revoked.
    const made = await h.api.call("POST", "/V4/AccessToken", { token: h.admin, body: { tokenName: "by-hand", renewableUntilTimestamp: Math.floor(Date.now() / 1000) + 86_400 } });
    expect(made.status).toBe(200);
    const byHand = (made.body as { tokenInfo: { accessTokenId: number } }).tokenInfo.accessTokenId;
    await expect(up({ name: "BY-HAND" })).rejects.toThrow(/named "by-hand" already exists for user admin \(token id \d+\); names are unique per user/);
    expect(count("DELETE /v4/accesstoken/" + byHand)).toBe(0);
    // Once a list has seen it, it is refused before any POST.
    h.running.emulator.log.length = 0;
    await expect(up({ name: "by-hand" })).rejects.toThrow(/named "by-hand" already exists/);
    expect(count("POST /v4/accesstoken")).toBe(0);
    const owned = h.running.emulator.store.data.tokens.filter((t) => t.userId === ADMIN.userId && t.tokenName.toLowerCase() === "by-hand");
    expect(owned.map((t) => t.accessTokenId)).toEqual([byHand]);
  });
});
