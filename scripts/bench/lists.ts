import { performance } from "node:perf_hooks";
import { refreshed } from "../../provider/lifecycle/mapping";
import { checkInputs, type AccessTokenInputs } from "../../provider/model/inputs";
import { planChange } from "../../provider/model/plan";
import type { AccessTokenState } from "../../provider/model/state";

/**
 * Issue 11 item 5: what check, diff and refresh cost per entry of an allow list and an endpoint
 * list, as the lists grow. A cost that grows no faster than the list shows as a flat cost per entry.
 */
export interface ListCost {
  size: number;
  /** Microseconds per entry (of both lists together). */
  checkUs: number;
  diffUs: number;
  refreshUs: number;
}

/** n distinct allow-list entries (hosts, blocks, ranges, IPv6 blocks), written out of order. */
function allowList(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b] = [(i >> 8) & 255, i & 255];
    const c = (i >> 16) & 255;
    if (i % 4 === 0) out.push(`10.${c}.${a}.${b}`);
    else if (i % 4 === 1) out.push(`11.${c}.${a}.${b}/32`);
    else if (i % 4 === 2) out.push(`12.${c}.${a}.${b & 254}-12.${c}.${a}.${b | 1}`);
    else out.push(`2001:DB8:${i.toString(16)}:0:0:0:0:0/48`);
  }
  return out.reverse();
}
const endpoints = (n: number) => Array.from({ length: n }, (_, i) => `/v4/area${i}`).reverse();

/** Median of `reps` timings of fn, in ms. */
function time(fn: () => void, reps: number): number {
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)]!;
}

export function listCosts(sizes = [250, 1000, 4000, 16000]): ListCost[] {
  const now = Math.floor(Date.now() / 1000);
  const out: ListCost[] = [];
  for (const size of sizes) {
    const reps = Math.max(5, Math.round(40_000 / size));
    const news = { name: "big", scope: "Custom", ipAllowlist: allowList(size), apiEndpoints: endpoints(size) };
    const checked = checkInputs(undefined, news, now);
    if (checked.failures.length) throw new Error(`list bench: ${JSON.stringify(checked.failures[0])}`);
    const inputs = checked.inputs as unknown as AccessTokenInputs;
    const state = { ...inputs, tokenId: 7, userId: 21 } as AccessTokenState;
    // One entry of each list changed: diff compares the whole lists and puts them in the PUT.
    const changed = { ...news, ipAllowlist: ["192.0.2.1", ...news.ipAllowlist.slice(1)], apiEndpoints: ["/v4/zzz", ...news.apiEndpoints.slice(1)] };
    const changedInputs = checkInputs(state as never, changed, now).inputs as unknown as AccessTokenInputs;
    const listed = { accessTokenId: 7, userId: 21, tokenName: "big", tokenType: 3, allowedIPs: allowList(size), apiEndpoints: endpoints(size) };
    const per = (ms: number) => (ms * 1000) / (2 * size);
    out.push({
      size,
      checkUs: per(time(() => checkInputs(state as never, news, now), reps)),
      diffUs: per(time(() => planChange(state, changedInputs, "same", now), reps)),
      refreshUs: per(time(() => refreshed(state, listed as never), reps)),
    });
  }
  return out;
}
