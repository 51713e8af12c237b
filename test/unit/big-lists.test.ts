import { refreshed } from "../../provider/lifecycle/mapping";
import { checkInputs, type AccessTokenInputs } from "../../provider/model/inputs";
import { planChange } from "../../provider/model/plan";
import type { AccessTokenState } from "../../provider/model/state";

/**
 * Issue 11 item 5: allow lists and endpoint lists of 1,000 entries per token are checked, diffed
 * and refreshed as exactly as short ones. (How the cost grows with the list is measured by
 * `npm run bench` and kept in docs/benchmarks.md; tests assert behaviour, not time.)
 */
const NOW = Date.UTC(2026, 10, 28) / 1000;
const SIZE = 1000;

/** SIZE distinct entries in canonical spelling: IPv4 hosts, IPv4 ranges, IPv4 blocks and IPv6 blocks. */
function entries(n = SIZE): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = [i >> 8, i & 255];
    if (i % 4 === 0) out.push(`10.1.${a}.${b}`);
    else if (i % 4 === 1) out.push(`10.2.${a}.${b - 1}-10.2.${a}.${b}`);
    else if (i % 4 === 2) out.push(`172.${16 + a}.${b}.0/24`);
    else out.push(`2001:db8:${i.toString(16)}::/48`);
  }
  return out;
}

/** The same entries as a person might write them: other spellings, shuffled, some twice. */
function asWritten(entries: string[]): string[] {
  const spelled = entries.map((e, i) => {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(e)) return i % 2 ? `${e}/32` : ` ${e} `;
    if (e.includes("::/48")) return e.replace("2001:db8:", "2001:0DB8:").replace("::/48", ":0:0:0:0:0/48");
    if (e.endsWith("/24")) return e.replace(/\.0\/24$/, ".7/24");
    return e;
  });
  const shuffled = spelled.map((e, i) => [((i * 7919) % 1009) + i / 1e4, e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  return [...shuffled, ...shuffled.slice(0, 100)];
}

const endpoints = (n = SIZE) => Array.from({ length: n }, (_, i) => `/v4/area${String(i).padStart(4, "0")}`);

function check(news: Record<string, unknown>, olds?: Record<string, unknown>) {
  const r = checkInputs(olds, news, NOW);
  return { inputs: r.inputs as unknown as AccessTokenInputs, failures: r.failures };
}

const stateOf = (inputs: AccessTokenInputs): AccessTokenState => ({ ...inputs, tokenId: 7, userId: 21, userName: "svc-backup" }) as AccessTokenState;

describe("allow lists and endpoint lists of 1,000 entries", () => {
  // The canonical list as check makes it: the order is check's (IPv4 before IPv6, by address).
  const ips = check({ name: "big", ipAllowlist: entries() }).inputs.ipAllowlist;
  const eps = endpoints();

  test("the canonical list holds every entry once, IPv4 first", () => {
    expect(ips).toHaveLength(SIZE);
    expect(new Set(ips).size).toBe(SIZE);
    expect([...ips].sort()).toEqual([...entries()].sort());
    expect(ips.findIndex((e) => e.includes(":"))).toBe((3 * SIZE) / 4);
  });

  test("check reads 1,000 entries written any which way into the one canonical list, and its own output back unchanged", () => {
    const first = check({ name: "big", scope: "Custom", ipAllowlist: asWritten(ips), apiEndpoints: [...eps].reverse().concat(eps.slice(0, 50)) });
    expect(first.failures).toEqual([]);
    expect(first.inputs.ipAllowlist).toEqual(ips);
    expect(first.inputs.apiEndpoints).toEqual(eps);
    const again = check({ ...first.inputs }, { ...first.inputs });
    expect(again.failures).toEqual([]);
    expect(again.inputs).toEqual(first.inputs);
  });

  test("bad entries among 1,000 fail once, naming a few and counting the rest", () => {
    const bad = ips.map((e, i) => (i % 3 === 0 ? `${e}/99` : e));
    const r = check({ name: "big", ipAllowlist: bad });
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.property).toBe("ipAllowlist");
    expect(r.failures[0]!.reason).toMatch(/and \d+ more/);
    expect(r.failures[0]!.reason.length).toBeLessThan(600);
  });

  test("diff: the same 1,000 entries in another order and spelling are no change", () => {
    const olds = stateOf(check({ name: "big", scope: "Custom", ipAllowlist: ips, apiEndpoints: eps }).inputs);
    const news = check({ name: "big", scope: "Custom", ipAllowlist: asWritten(ips), apiEndpoints: [...eps].reverse() }, olds as never).inputs;
    expect(planChange(olds, news, "same", NOW).action).toBe("none");
  });

  test("diff: one entry of 1,000 changed is one in-place update carrying the new lists whole", () => {
    const olds = stateOf(check({ name: "big", scope: "Custom", ipAllowlist: ips, apiEndpoints: eps }).inputs);
    const nextIps = [...ips.slice(0, 500), "192.0.2.1", ...ips.slice(501)];
    const nextEps = [...eps.slice(1), "/v4/zzz"];
    const news = check({ name: "big", scope: "Custom", ipAllowlist: nextIps, apiEndpoints: nextEps }, olds as never).inputs;
    const plan = planChange(olds, news, "same", NOW);
    expect(plan.action).toBe("update");
    if (plan.action !== "update") return;
    expect(plan.changed.sort()).toEqual(["apiEndpoints", "ipAllowlist"]);
    expect(plan.patch.allowedIPs).toEqual(news.ipAllowlist);
    expect(plan.patch.allowedIPs).toHaveLength(SIZE);
    expect(plan.patch.apiEndpoints).toEqual([...eps.slice(1), "/v4/zzz"]);
  });

  test("refresh reads the server's 1,000 entries, in its own order and spelling, as the canonical list: no drift", () => {
    const state = stateOf(check({ name: "big", scope: "Custom", ipAllowlist: ips, apiEndpoints: eps }).inputs);
    const serverIps = asWritten(ips).map((e) => e.trim());
    const next = refreshed(state, {
      accessTokenId: 7, userId: 21, tokenName: "big", tokenType: 3, createdTime: NOW - 60,
      allowedIPs: serverIps, apiEndpoints: [...eps].reverse(),
    } as never);
    expect(next.ipAllowlist).toEqual(ips);
    expect(next.apiEndpoints).toEqual(eps);
    expect(planChange(next, check({ name: "big", scope: "Custom", ipAllowlist: ips, apiEndpoints: eps }, next as never).inputs, "same", NOW).action).toBe("none");
  });

  test("refresh sees one entry of 1,000 removed on the server, and the update puts it back", () => {
    const declared = check({ name: "big", ipAllowlist: ips }).inputs;
    const state = stateOf(declared);
    const next = refreshed(state, { accessTokenId: 7, userId: 21, tokenName: "big", tokenType: 2, allowedIPs: ips.filter((_, i) => i !== 333) } as never);
    expect(next.ipAllowlist).toHaveLength(SIZE - 1);
    const plan = planChange(next, check({ name: "big", ipAllowlist: ips }, next as never).inputs, "same", NOW);
    expect(plan.action).toBe("update");
    if (plan.action === "update") expect(plan.patch.allowedIPs).toEqual(ips);
  });
});
