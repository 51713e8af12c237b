import { ADMIN, useEmulator } from "../helpers/emulator";
import { configure, provider, refresh, up } from "../helpers/lifecycle";

/** 1,000 distinct entries: IPv4 hosts and blocks, IPv6 blocks. */
const ips = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `10.${i >> 8}.${i & 255}.1` : i % 3 === 1 ? `172.${16 + (i >> 8)}.${i & 255}.0/24` : `2001:db8:${i.toString(16)}::/48`));
const endpoints = Array.from({ length: 1000 }, (_, i) => `/v4/area${String(i).padStart(4, "0")}`);

/**
 * Issue 11 item 5 against the emulator: a Custom token with an allow list and an endpoint list of
 * 1,000 entries each is created, refreshed with no drift, sees a hand edit of one entry, and is put
 * back by one PUT.
 */
describe("provider lifecycle with lists of 1,000 entries", () => {
  const h = useEmulator();
  beforeEach(() => configure({ "commvault:url": h.running.url, "commvault:username": ADMIN.username, "commvault:password": ADMIN.password }));
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login");

  test("create, refresh, a hand edit, and the update that puts it back", async () => {
    const news = { name: "big", scope: "Custom", ipAllowlist: [...ips].reverse(), apiEndpoints: [...endpoints].reverse() };
    const d = await up(news);
    const stored = h.running.emulator.store.token(d.outs.tokenId as number)!;
    expect(stored.allowedIPs).toHaveLength(1000);
    expect(stored.apiEndpoints).toHaveLength(1000);
    expect(d.outs.ipAllowlist).toHaveLength(1000);

    // Refresh: the server's lists read back as the same canonical lists; nothing to do.
    const r = (await refresh(d))!;
    expect(r.outs.ipAllowlist).toEqual(d.outs.ipAllowlist);
    expect(r.outs.apiEndpoints).toEqual(d.outs.apiEndpoints);
    expect((await up(news, r)).action).toBe("same");

    // One entry removed by hand: refresh sees it, and up sends one PUT with the lists whole.
    stored.allowedIPs = stored.allowedIPs.filter((e) => e !== "10.0.3.1");
    const drifted = (await refresh(r))!;
    expect(drifted.outs.ipAllowlist).toHaveLength(999);
    expect((await provider.diff!(drifted.id, drifted.outs, (await provider.check!(drifted.inputs, news)).inputs)).changes).toBe(true);
    h.running.emulator.log.length = 0;
    const fixed = await up(news, drifted);
    expect(fixed.action).toBe("update");
    expect(writes().map((e) => `${e.method} ${e.path}`)).toEqual([`PUT /v4/accesstoken/${d.outs.tokenId}`]);
    expect((writes()[0]!.body as { allowedIPs: string[] }).allowedIPs).toHaveLength(1000);
    expect(h.running.emulator.store.token(d.outs.tokenId as number)!.allowedIPs).toHaveLength(1000);
  });
});
