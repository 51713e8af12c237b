import * as ipaddr from "ipaddr.js";

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

function parseAddr(text: string): Addr | undefined {
  const t = text.trim();
  if (!ipaddr.isValid(t)) return undefined;
  // Strict forms only: ipaddr.isValid also takes "10" or "0x0a.1" as IPv4, which no one means.
  if (t.includes(".") && !t.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(t)) return undefined;
  return ipaddr.process(t);
}

function bits(a: Addr): number {
  return a.kind() === "ipv4" ? 32 : 128;
}

function toBig(a: Addr): bigint {
  return a.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** A canonical entry and its sort key: family, then first address, then width. */
interface Canonical {
  text: string;
  family: number;
  start: bigint;
  width: bigint;
}

/**
 * One allow-list entry in its canonical form, or undefined when malformed. Equal meanings get
 * equal text, so that they make no diff: `10.0.0.1/32` is `10.0.0.1`, host bits are cleared
 * (`10.1.2.3/8` is `10.0.0.0/8`), IPv6 is compressed and lower-case, and `a-a` is `a`.
 */
function canonical(entry: string): Canonical | undefined {
  const text = entry.trim();
  if (text.includes("/")) {
    const [addrText, prefixText] = text.split("/");
    const addr = parseAddr(addrText ?? "");
    if (!addr || !/^\d{1,3}$/.test(prefixText ?? "")) return undefined;
    const prefix = Number(prefixText);
    const width = bits(addr);
    if (prefix > width) return undefined;
    const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
    const start = toBig(addr) & mask;
    const net = fromBig(start, addr.kind());
    const family = addr.kind() === "ipv4" ? 4 : 6;
    if (prefix === width) return { text: net.toString(), family, start, width: 1n };
    return { text: `${net.toString()}/${prefix}`, family, start, width: 1n << BigInt(width - prefix) };
  }
  const dash = text.indexOf("-");
  if (dash > 0) {
    const lo = parseAddr(text.slice(0, dash));
    const hi = parseAddr(text.slice(dash + 1));
    if (!lo || !hi || lo.kind() !== hi.kind() || toBig(lo) > toBig(hi)) return undefined;
    const family = lo.kind() === "ipv4" ? 4 : 6;
    const width = toBig(hi) - toBig(lo) + 1n;
    return { text: width === 1n ? lo.toString() : `${lo.toString()}-${hi.toString()}`, family, start: toBig(lo), width };
  }
  const addr = parseAddr(text);
  if (!addr) return undefined;
  return { text: addr.toString(), family: addr.kind() === "ipv4" ? 4 : 6, start: toBig(addr), width: 1n };
}

function fromBig(n: bigint, kind: "ipv4" | "ipv6"): Addr {
  const bytes: number[] = [];
  for (let i = 0, v = n; i < (kind === "ipv4" ? 4 : 16); i++, v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return ipaddr.fromByteArray(bytes);
}

export interface AllowListResult {
  entries: string[];
  invalid: string[];
}

/** Canonical, sorted, de-duplicated entries, and the ones that are not addresses, CIDRs or ranges. */
export function normaliseAllowList(list: readonly string[]): AllowListResult {
  const invalid: string[] = [];
  const byText = new Map<string, Canonical>();
  for (const entry of list) {
    const c = typeof entry === "string" ? canonical(entry) : undefined;
    if (c) byText.set(c.text, c);
    else invalid.push(String(entry));
  }
  const entries = [...byText.values()]
    .sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0) || (a.width < b.width ? -1 : a.width > b.width ? 1 : 0))
    .map((c) => c.text);
  return { entries, invalid };
}
