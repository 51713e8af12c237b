/**
 * The judgements behind the policies, as plain functions of a token's properties: no Pulumi, no
 * server, no clock except the one passed in. A policy sees the inputs after the provider's
 * `check`, so lists are canonical and rolling lifetimes (`renewableFor`, `expiresIn`) are already
 * resolved into `renewableUntil` / `expiresAt`. A value still unknown at preview is `UNKNOWN`
 * here and is never judged: the same policy runs again during `pulumi up`, with the value known.
 */
import * as ipaddr from "ipaddr.js";

/** The dynamic provider's type token (pulumi-commvault-tokens' `AccessToken` class). */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic/commvault:AccessToken";
/** The provider plugin's type token. */
export const PLUGIN_TYPE = "commvault:index:AccessToken";
/** Both doors to the same resource: every rule applies to both. */
export const ACCESS_TOKEN_TYPES: readonly string[] = [DYNAMIC_TYPE, PLUGIN_TYPE];

export const UNKNOWN: unique symbol = Symbol("unknown");
export type Value = typeof UNKNOWN | string | number | boolean | null | undefined | Value[] | { [key: string]: Value };
export type Props = Record<string, Value>;

export const DAY = 86_400;

/** Commvault's lifetime when none is set, per scope, in days (its REST API contract). */
export const DEFAULT_LIFE_DAYS: Record<string, number> = { All: 90, Custom: 90, Hyperscale: 90, MicrosoftSCIM: 30, OneTouchRecovery: 7 };
const FIXED_SCOPES = new Set(["MicrosoftSCIM", "OneTouchRecovery"]);

const isKnown = <T>(v: T | typeof UNKNOWN): v is T => v !== UNKNOWN;
const str = (v: Value): string | undefined => (typeof v === "string" ? v : undefined);
/** The token's scope; the provider's check fills in "All" when none is given. */
const scopeOf = (p: Props): string | typeof UNKNOWN => (p.scope === UNKNOWN ? UNKNOWN : (str(p.scope) ?? "All"));
const label = (p: Props): string => (typeof p.name === "string" ? `access token "${p.name}"` : "this access token");

/** "now" for the judgements: COMMVAULT_TOKENS_NOW (for testing, as the provider reads it), else the machine's clock. */
export function nowSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.COMMVAULT_TOKENS_NOW?.trim();
  if (text) {
    if (/^\d+$/.test(text)) return Number(text);
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Owners

export interface ServiceAccountConfig {
  /** Service accounts by name (case-insensitive). */
  serviceAccountNames?: string[];
  /** Service accounts by user id. */
  serviceAccountIds?: number[];
  /** A regular expression (case-insensitive) that service account names match. Default "^svc-"; "" for none. */
  serviceAccountPattern?: string;
}

export const DEFAULT_SERVICE_ACCOUNT_PATTERN = "^svc-";

/**
 * Whether the program declares the token for a service account, from its declared owner alone (a
 * policy cannot ask the server). A token that names no owner belongs to the logged-in user, which
 * the policy cannot see: it is not counted as a service account's. UNKNOWN while the owner is.
 */
export function ownedByServiceAccount(p: Props, c: ServiceAccountConfig): { account: string } | false | typeof UNKNOWN {
  if (p.userName === UNKNOWN || p.userId === UNKNOWN) return UNKNOWN;
  const name = str(p.userName);
  if (name !== undefined) {
    const names = new Set((c.serviceAccountNames ?? []).map((n) => n.toLowerCase()));
    const pattern = c.serviceAccountPattern ?? DEFAULT_SERVICE_ACCOUNT_PATTERN;
    if (names.has(name.toLowerCase()) || (pattern !== "" && new RegExp(pattern, "i").test(name))) return { account: name };
  }
  if (typeof p.userId === "number" && (c.serviceAccountIds ?? []).includes(p.userId)) return { account: name ?? `user id ${p.userId}` };
  return false;
}

/** Every service account's token has an allow list. */
export function judgeServiceAccountAllowlist(p: Props, c: ServiceAccountConfig): string[] {
  const owner = ownedByServiceAccount(p, c);
  if (owner === UNKNOWN || owner === false || p.ipAllowlist === UNKNOWN) return [];
  const list = Array.isArray(p.ipAllowlist) ? p.ipAllowlist : [];
  if (list.length > 0) return [];
  return [
    `${label(p)} belongs to the service account ${owner.account} and has no ipAllowlist, so its secret works from anywhere: ` +
      `set ipAllowlist to the networks its consumer runs in (for example ["10.20.0.0/16"])`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Allow lists

interface Interval {
  family: "IPv4" | "IPv6";
  lo: bigint;
  hi: bigint;
}

const toBig = (a: ipaddr.IPv4 | ipaddr.IPv6): bigint => a.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
/** An IPv4-mapped IPv6 address is its IPv4 address, as Commvault and the provider read it. */
const plain = (a: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 => (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a);
const familyOf = (a: ipaddr.IPv4 | ipaddr.IPv6): Interval["family"] => (a.kind() === "ipv4" ? "IPv4" : "IPv6");
const bits = (f: Interval["family"]) => (f === "IPv4" ? 32 : 128);

/** One allow-list entry (an address, a CIDR block or an a-b range) as an interval; undefined if unreadable. */
export function entryInterval(entry: string): Interval | undefined {
  try {
    if (entry.includes("/")) {
      const [addr, prefix] = ipaddr.parseCIDR(entry);
      let a = addr;
      let len = prefix;
      if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() && len >= 96) {
        a = (a as ipaddr.IPv6).toIPv4Address();
        len -= 96;
      }
      const f = familyOf(a);
      const host = (1n << BigInt(bits(f) - len)) - 1n;
      const lo = toBig(a) & ~host;
      return { family: f, lo, hi: lo | host };
    }
    const dash = entry.indexOf("-");
    if (dash > 0) {
      const lo = plain(ipaddr.parse(entry.slice(0, dash).trim()));
      const hi = plain(ipaddr.parse(entry.slice(dash + 1).trim()));
      if (lo.kind() !== hi.kind()) return undefined;
      return { family: familyOf(lo), lo: toBig(lo), hi: toBig(hi) };
    }
    const a = plain(ipaddr.parse(entry.trim()));
    return { family: familyOf(a), lo: toBig(a), hi: toBig(a) };
  } catch {
    return undefined;
  }
}

/**
 * The families whose whole address space the entries cover together, with the entries that do
 * it: 0.0.0.0/0, ::/0, 0.0.0.0-255.255.255.255, or 0.0.0.0/1 with 128.0.0.0/1.
 */
export function openFamilies(entries: readonly string[]): { family: Interval["family"]; entries: string[] }[] {
  const out: { family: Interval["family"]; entries: string[] }[] = [];
  for (const family of ["IPv4", "IPv6"] as const) {
    const mine = entries.map((e) => ({ e, i: entryInterval(e) })).filter((x): x is { e: string; i: Interval } => x.i?.family === family);
    mine.sort((a, b) => (a.i.lo < b.i.lo ? -1 : a.i.lo > b.i.lo ? 1 : 0));
    const top = (1n << BigInt(bits(family))) - 1n;
    let next = 0n; // the first address not yet covered
    const used: string[] = [];
    for (const { e, i } of mine) {
      if (i.lo > next) break;
      if (i.hi >= next) {
        used.push(e);
        next = i.hi + 1n;
      }
      if (next > top) break;
    }
    if (next > top) out.push({ family, entries: used });
  }
  return out;
}

/** No allow list opens everything. */
export function judgeAllowlistNotOpen(p: Props): string[] {
  if (!Array.isArray(p.ipAllowlist)) return [];
  const entries = p.ipAllowlist.filter(isKnown).filter((e): e is string => typeof e === "string");
  return openFamilies(entries).map(
    ({ family, entries: used }) =>
      `${label(p)} has an ipAllowlist that admits every ${family} address (${used.map((e) => JSON.stringify(e)).join(", ")}), which is no restriction: ` +
      `list the networks its consumer runs in instead`,
  );
}

// ---------------------------------------------------------------------------------------------
// Lifetimes

export interface LifetimeConfig {
  /** How far ahead a token's end (renewableUntil or expiresAt) may be, in days. Default 180. */
  maxDays?: number;
}

export const DEFAULT_MAX_LIFETIME_DAYS = 180;

const formatTime = (s: number) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");

/** The end of a token's life is at most `maxDays` ahead of now. */
export function judgeLifetime(p: Props, c: LifetimeConfig, now: number): string[] {
  const maxDays = c.maxDays ?? DEFAULT_MAX_LIFETIME_DAYS;
  const scope = scopeOf(p);
  if (scope === UNKNOWN) return [];
  const fixed = FIXED_SCOPES.has(scope);
  const field = fixed ? "expiresAt" : "renewableUntil";
  const rolling = fixed ? "expiresIn" : "renewableFor";
  const value = p[field];
  if (value === UNKNOWN) return [];
  const fix = `set ${field} at most ${maxDays} days ahead, or a rolling lifetime of at most ${rolling}: "${maxDays}d"`;
  if (typeof value !== "string") {
    const days = DEFAULT_LIFE_DAYS[scope];
    if (days === undefined || days <= maxDays) return [];
    return [`${label(p)} sets no ${field}, so Commvault's default of ${days} days applies, more than the ${maxDays} days allowed: ${fix}`];
  }
  const end = Date.parse(value);
  if (Number.isNaN(end)) return [];
  const ahead = end / 1000 - now;
  if (ahead <= maxDays * DAY) return [];
  return [`${label(p)} lives until ${formatTime(end / 1000)} (${field}), ${Math.ceil(ahead / DAY)} days ahead, more than the ${maxDays} days allowed: ${fix}`];
}

// ---------------------------------------------------------------------------------------------
// Scope and rotation

export interface RotationConfig {
  /** The longest `rotation.everyDays` allowed. Default 90. */
  maxEveryDays?: number;
}

export const DEFAULT_MAX_EVERY_DAYS = 90;

/** An All-scope token rotates its secret on a schedule. */
export function judgeAllScopeRotates(p: Props, c: RotationConfig): string[] {
  const maxEvery = c.maxEveryDays ?? DEFAULT_MAX_EVERY_DAYS;
  if (scopeOf(p) !== "All" || p.rotation === UNKNOWN) return [];
  const r = p.rotation;
  const schedule = r !== null && typeof r === "object" && !Array.isArray(r) ? r : undefined;
  if (schedule && (schedule.everyDays === UNKNOWN || schedule.beforeEndDays === UNKNOWN)) return [];
  const every = typeof schedule?.everyDays === "number" ? schedule.everyDays : undefined;
  const beforeEnd = typeof schedule?.beforeEndDays === "number" ? schedule.beforeEndDays : undefined;
  if (every === undefined && beforeEnd === undefined) {
    return [
      `${label(p)} has scope All (every API its owner may call) and no rotation schedule: ` +
        `set rotation: { everyDays: ${maxEvery} } (or beforeEndDays with a rolling lifetime), or narrow it to scope "Custom"`,
    ];
  }
  if (every !== undefined && every > maxEvery) {
    return [`${label(p)} has scope All and rotates every ${every} days, less often than every ${maxEvery} days: set rotation.everyDays to ${maxEvery} or less`];
  }
  return [];
}

/** Advisory: Custom (named API endpoints) rather than All. */
export function judgePreferCustom(p: Props): string[] {
  if (scopeOf(p) !== "All") return [];
  return [
    `${label(p)} has scope All, so it can call every API its owner may call: ` +
      `if its consumer calls only some, use scope "Custom" with apiEndpoints (for example ["/client"]); the change is made in place, with the same secret`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The stack

export interface StackToken {
  urn: string;
  props: Props;
}

/**
 * Whether two tokens have the same owner, as far as the program (or state) says: equal user ids,
 * else equal user names, else both naming no owner (the logged-in user). When they are named in
 * different ways (an id here, a name there) the policy cannot tell, and says nothing.
 */
export function sameOwner(a: Props, b: Props): boolean {
  const id = (p: Props) => (typeof p.userId === "number" ? p.userId : undefined);
  const name = (p: Props) => str(p.userName)?.toLowerCase();
  const unknown = (p: Props) => p.userId === UNKNOWN || p.userName === UNKNOWN;
  if (unknown(a) || unknown(b)) return false;
  if (id(a) !== undefined && id(b) !== undefined) return id(a) === id(b);
  if (name(a) !== undefined && name(b) !== undefined) return name(a) === name(b);
  return id(a) === undefined && id(b) === undefined && name(a) === undefined && name(b) === undefined;
}

const ownerText = (p: Props) =>
  typeof p.userId === "number" ? `user id ${p.userId}` : typeof p.userName === "string" ? p.userName : "the logged-in user";

/** No two tokens in the stack with the same owner and name (names are unique per owner, case-insensitively). */
export function judgeUniqueOwnerAndName(given: readonly StackToken[]): { urn: string; message: string }[] {
  const out: { urn: string; message: string }[] = [];
  // In order of resource name, so that the same program always names the same resource (the engine's order
  // follows registration, which parallel steps can shuffle).
  const key = (t: StackToken) => `${t.urn.split("::").pop()}\u0000${t.urn}`;
  const tokens = [...given].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  tokens.forEach((t, i) => {
    const name = str(t.props.name);
    if (name === undefined) return;
    const first = tokens.slice(0, i).find((o) => str(o.props.name)?.toLowerCase() === name.toLowerCase() && sameOwner(o.props, t.props));
    if (!first) return;
    out.push({
      urn: t.urn,
      message:
        `access token "${name}" of ${ownerText(t.props)} has the same owner and name as the resource "${first.urn.split("::").pop()}" (${first.urn}): ` +
        `Commvault keeps token names unique per owner (ignoring case), so one of them would fail or replace the other; rename one`,
    });
  });
  return out;
}

/** The token a resource manages, as far as its properties say: the one in state, else the one it adopts by id. */
function managedTokenId(p: Props): number | undefined {
  if (typeof p.tokenId === "number") return p.tokenId;
  const adopt = p.adopt;
  if (adopt && typeof adopt === "object" && !Array.isArray(adopt)) {
    const id = (adopt as Record<string, Value>).tokenId;
    if (typeof id === "number") return id;
  }
  return undefined;
}

/**
 * No two resources of the stack manage one token: one holds it in state (created or adopted in an
 * earlier up) and another adopts it by id, or two adopt it (the provider refuses what one run
 * shows it; only the stack shows a holder that registers after the adopter). Tokens of different
 * servers (profiles) may share an id.
 */
export function judgeOneResourcePerToken(given: readonly StackToken[]): { urn: string; message: string }[] {
  const out: { urn: string; message: string }[] = [];
  const key = (t: StackToken) => `${t.urn.split("::").pop()}\u0000${t.urn}`;
  // Holders first (a token id in state), then adopters; each in order of resource name.
  const tokens = [...given].sort((a, b) => Number(typeof b.props.tokenId === "number") - Number(typeof a.props.tokenId === "number") || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const seen = new Map<string, StackToken>();
  for (const t of tokens) {
    const id = managedTokenId(t.props);
    if (id === undefined || t.props.server === UNKNOWN) continue;
    const k = `${str(t.props.server) ?? ""}|${id}`;
    const first = seen.get(k);
    if (!first) {
      seen.set(k, t);
      continue;
    }
    const how = typeof first.props.tokenId === "number" ? "holds it in the stack's state" : "adopts it too";
    out.push({
      urn: t.urn,
      message:
        `access token ${id} is managed by two resources: "${t.urn.split("::").pop()}" (${t.urn}) adopts it, and "${first.urn.split("::").pop()}" (${first.urn}) ${how}; ` +
        "a token can be managed by one resource only (two would rename it under each other, and removing one would revoke it under the other): remove adopt from one of them",
    });
  }
  return out;
}
