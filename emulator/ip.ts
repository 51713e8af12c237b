import * as ipaddr from "ipaddr.js";

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** One allow-list entry as the emulator understands it: an address, a CIDR block or a-b range. */
interface Matcher {
  matches(addr: Addr): boolean;
}

function parseAddr(text: string): Addr | undefined {
  const t = text.trim();
  // ipaddr.process folds ::ffff:a.b.c.d to IPv4 so both spellings match the same entry.
  return ipaddr.isValid(t) ? ipaddr.process(t) : undefined;
}

function toBigInt(addr: Addr): bigint {
  return addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function parseEntry(entry: string): Matcher | undefined {
  const text = entry.trim();
  if (text.includes("/")) {
    try {
      const [net, bits] = ipaddr.parseCIDR(text);
      const base = net.kind() === "ipv6" && (net as ipaddr.IPv6).isIPv4MappedAddress() ? undefined : net;
      if (!base) return undefined;
      return { matches: (a) => a.kind() === base.kind() && a.match([base, bits] as [Addr, number]) };
    } catch {
      return undefined;
    }
  }
  const dash = text.indexOf("-");
  if (dash > 0) {
    const lo = parseAddr(text.slice(0, dash));
    const hi = parseAddr(text.slice(dash + 1));
    if (!lo || !hi || lo.kind() !== hi.kind() || toBigInt(lo) > toBigInt(hi)) return undefined;
    const [l, h] = [toBigInt(lo), toBigInt(hi)];
    return { matches: (a) => a.kind() === lo.kind() && toBigInt(a) >= l && toBigInt(a) <= h };
  }
  const single = parseAddr(text);
  if (!single) return undefined;
  return { matches: (a) => a.kind() === single.kind() && toBigInt(a) === toBigInt(single) };
}

/** Entries the server would reject, in the order given. */
export function invalidEntries(entries: string[]): string[] {
  return entries.filter((e) => typeof e !== "string" || parseEntry(e) === undefined);
}

/** True when `remote` may use a token with this allow list (an empty list allows everyone). */
export function allowed(entries: string[], remote: string | undefined): boolean {
  if (entries.length === 0) return true;
  const addr = remote ? parseAddr(remote) : undefined;
  if (!addr) return false;
  return entries.some((e) => parseEntry(e)?.matches(addr) ?? false);
}
