import * as ipaddr from "ipaddr.js";
import { kindOf, quote } from "./quote";
import { UNKNOWN } from "./unknown";

/**
 * Allow-list entries, read strictly. ipaddr.js alone reads "10" and "0xa" as 0.0.0.10, and
 * "::1.2.3.4" as ::ffff:1.2.3.4: a user who wrote them meant something else, so anything that is
 * not a plain four-part decimal IPv4 or a plain IPv6 address is refused, never reinterpreted.
 */
type Family = "ipv4" | "ipv6";
interface Addr {
  family: Family;
  value: bigint;
}

const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const GROUP = /^[0-9a-fA-F]{1,4}$/;

const bitsOf = (f: Family) => (f === "ipv4" ? 32 : 128);

function v4(text: string): bigint | undefined {
  if (!IPV4.test(text)) return undefined;
  return text.split(".").reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

/** RFC 4291 text: eight groups of 1-4 hex digits, one `::` at most, an IPv4 tail allowed; no zone. */
function v6(text: string): bigint | undefined {
  const gap = text.indexOf("::");
  if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) return undefined;
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  const head = split(gap >= 0 ? text.slice(0, gap) : text);
  const tail = gap >= 0 ? split(text.slice(gap + 2)) : [];
  const groups: bigint[] = [];
  const all = [...head, ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (GROUP.test(g)) groups.push(BigInt(`0x${g}`));
    else if (i === all.length - 1 && (gap < 0 || tail.length > 0) && v4(g) !== undefined) groups.push(v4(g)! >> 16n, v4(g)! & 0xffffn);
    else return undefined;
  }
  const missing = 8 - groups.length;
  if (gap >= 0 ? missing < 1 : missing !== 0) return undefined;
  const headCount = gap >= 0 ? head.length : groups.length;
  const full = [...groups.slice(0, headCount), ...Array<bigint>(Math.max(missing, 0)).fill(0n), ...groups.slice(headCount)];
  return full.reduce((acc, g) => (acc << 16n) | g, 0n);
}

const MAPPED = 0xffffn << 32n;

/** An address as written: IPv4, or IPv6 (an IPv4 tail allowed). */
function parseRaw(text: string): Addr | undefined {
  const four = v4(text);
  if (four !== undefined) return { family: "ipv4", value: four };
  const six = text.includes(":") ? v6(text) : undefined;
  return six === undefined ? undefined : { family: "ipv6", value: six };
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address, as Commvault matches it. */
function parseAddr(text: string): Addr | undefined {
  const a = parseRaw(text);
  return a?.family === "ipv6" && a.value >> 32n === 0xffffn ? { family: "ipv4", value: a.value - MAPPED } : a;
}

function show(a: Addr): string {
  const bytes: number[] = [];
  for (let i = 0, v = a.value; i < bitsOf(a.family) / 8; i++, v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

function addrProblem(text: string): string {
  if (text.includes("%")) return "has a zone index (%...), which an allow list cannot use";
  if (text.includes(":")) return "is not an IPv6 address (eight groups of 1 to 4 hex digits, :: once at most)";
  return "is not an IPv4 address (four numbers 0-255, as 10.0.0.1)";
}

/** A canonical entry and its sort key: family, then first address, then width. */
interface Canonical {
  text: string;
  family: Family;
  start: bigint;
  width: bigint;
}

type Reading = Canonical | { problem: string };

function cidr(text: string): Reading {
  const [addrText, prefixText] = text.split("/") as [string, string];
  if (addrText.includes("-")) return { problem: "puts a prefix on a range; write a CIDR block or a range, not both" };
  let addr = parseRaw(addrText);
  if (!addr) return { problem: addrProblem(addrText) };
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return { problem: `has the prefix "/${prefixText.slice(0, 8)}", which is not a number of bits` };
  let prefix = Number(prefixText);
  const width = bitsOf(addr.family);
  if (prefix > width) return { problem: `has the prefix /${prefix}, more than the ${width} bits of an ${addr.family === "ipv4" ? "IPv4" : "IPv6"} address` };
  // A block inside ::ffff:0:0/96 is the IPv4 block it maps, as a single mapped address is.
  if (addr.family === "ipv6" && prefix >= 96 && addr.value >> 32n === 0xffffn) {
    addr = { family: "ipv4", value: addr.value - MAPPED };
    prefix -= 96;
  }
  const bits = bitsOf(addr.family);
  const host = (1n << BigInt(bits - prefix)) - 1n;
  const start = addr.value & ~host;
  const net = show({ family: addr.family, value: start });
  return { text: prefix === bits ? net : `${net}/${prefix}`, family: addr.family, start, width: host + 1n };
}

function range(text: string, dash: number): Reading {
  const lo = parseAddr(text.slice(0, dash));
  const hi = parseAddr(text.slice(dash + 1));
  if (!lo) return { problem: `starts with something that ${addrProblem(text.slice(0, dash))}` };
  if (!hi) return { problem: `ends with something that ${addrProblem(text.slice(dash + 1))}` };
  if (lo.family !== hi.family) return { problem: "mixes IPv4 and IPv6" };
  if (lo.value > hi.value) return { problem: "runs backwards: the first address is after the last" };
  const width = hi.value - lo.value + 1n;
  return { text: width === 1n ? show(lo) : `${show(lo)}-${show(hi)}`, family: lo.family, start: lo.value, width };
}

/** One entry in canonical form, or what is wrong with it. */
function readEntry(entry: unknown): Reading {
  if (typeof entry !== "string") return { problem: `is ${kindOf(entry)}, not a string` };
  // Blanks around an entry change nothing; inside one they mean a typo.
  const text = entry.trim();
  if (text === "") return { problem: "is empty" };
  if (/\s/.test(text)) return { problem: "has a blank inside" };
  const slashes = text.split("/").length - 1;
  if (slashes > 1) return { problem: 'has more than one "/"' };
  if (slashes === 1) return cidr(text);
  const dash = text.indexOf("-");
  if (dash >= 0) return text.indexOf("-", dash + 1) >= 0 ? { problem: 'has more than one "-"' } : range(text, dash);
  const addr = parseAddr(text);
  if (!addr) return { problem: addrProblem(text) };
  return { text: show(addr), family: addr.family, start: addr.value, width: 1n };
}

export interface AllowListResult {
  /** Canonical, sorted, de-duplicated. */
  entries: string[];
  /** The entries that are not addresses, CIDR blocks or ranges, as given. */
  invalid: unknown[];
  /** For each invalid entry, the entry (quoted, cut) and what is wrong with it. */
  problems: string[];
}

/**
 * Equal meanings get equal text, so that they make no diff: `10.0.0.1/32` is `10.0.0.1`, host bits
 * are cleared (`10.1.2.3/8` is `10.0.0.0/8`), IPv6 is compressed and lower-case, and `a-a` is `a`.
 * Entries still unknown at preview are left out (the caller keeps the list as given).
 */
export function normaliseAllowList(list: readonly unknown[]): AllowListResult {
  const invalid: unknown[] = [];
  const problems: string[] = [];
  const byText = new Map<string, Canonical>();
  list.forEach((entry, i) => {
    if (entry === UNKNOWN) return;
    const r = readEntry(entry);
    if ("problem" in r) {
      invalid.push(entry);
      problems.push(`${typeof entry === "string" ? quote(entry) : `entry ${i + 1}`} ${r.problem}`);
    } else {
      byText.set(r.text, r);
    }
  });
  const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  const entries = [...byText.values()]
    .sort((a, b) => (a.family === b.family ? 0 : a.family === "ipv4" ? -1 : 1) || cmp(a.start, b.start) || cmp(a.width, b.width))
    .map((c) => c.text);
  return { entries, invalid, problems };
}
