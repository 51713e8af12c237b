import { normaliseAllowList } from "./ip";
import { kindOf, listSome, quote } from "./quote";
import { SCOPES, type Scope } from "./scope";
import { nearest } from "./suggest";
import { readRfc3339 } from "./time";
import { UNKNOWN } from "./unknown";

/**
 * One reader per input: the value in canonical form, or why it is not one. Each judges its own
 * value alone, so that check can report every field's problem at once; rules across fields are
 * check's. A reader is handed only values that are given and known, except that a list holding
 * an unknown entry is read for its known entries (`partial`), whose problems no later value cures.
 */
export type Read<T> = { ok: T } | { problem: string };

/** How to fix each property, the end of each of its failures. */
export const FIX = {
  name: "set name to the token's display name, 1 to 255 characters",
  scope: `use one of ${SCOPES.map((s) => `"${s}"`).join(", ")}`,
  apiEndpoints: 'list API path prefixes, e.g. ["/client", "/v4/servergroup"]',
  renewableUntil: "use an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
  expiresAt: "use an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
  ipAllowlist: 'list IPv4 or IPv6 addresses, CIDR blocks or a-b ranges, e.g. ["10.0.0.0/8", "2001:db8::1"]',
  userId: "use the owner's numeric Commvault user id",
  userName: "use the owner's Commvault user name",
  replaceOnForbiddenScopeChange: "use true or false",
} as const;

const expected = (what: string, v: unknown) => ({ problem: `must be ${what}, not ${kindOf(v)}` });

/** Text a person names something with: not empty, not only blanks, not longer than `max`. */
function label(v: unknown, max?: number): Read<string> {
  if (typeof v !== "string") return expected("a string", v);
  if (v.length === 0) return { problem: "is empty" };
  if (v.trim().length === 0) return { problem: `${quote(v)} has only blanks` };
  if (max !== undefined && v.length > max) return { problem: `${quote(v)} has ${v.length} characters, more than ${max}` };
  return { ok: v };
}

export const readName = (v: unknown) => label(v, 255);
export const readUserName = (v: unknown) => label(v, 255);

export function readScope(v: unknown): Read<Scope> {
  if (typeof v !== "string") return expected("a string", v);
  if ((SCOPES as readonly string[]).includes(v)) return { ok: v as Scope };
  const near = nearest(v, SCOPES);
  return { problem: `${quote(v)} is not a scope${near ? `; did you mean "${near}"?` : ""}` };
}

export function readUserId(v: unknown): Read<number> {
  if (typeof v !== "number") return expected("a number", v);
  if (!Number.isSafeInteger(v) || v <= 0) return { problem: `${kindOf(v)} is not a user id (a whole number above 0)` };
  return { ok: v };
}

export function readFlag(v: unknown): Read<boolean> {
  return typeof v === "boolean" ? { ok: v } : expected("true or false", v);
}

export function readTime(v: unknown): Read<number> {
  if (typeof v !== "string") return expected("a string", v);
  const r = readRfc3339(v);
  return "seconds" in r ? { ok: r.seconds } : { problem: `${quote(v)} ${r.problem}` };
}

/** Known entries of a list, and whether it holds an unknown one. */
function knownEntries(v: unknown[]): { known: unknown[]; partial: boolean } {
  const known = v.filter((e) => e !== UNKNOWN);
  return { known, partial: known.length < v.length };
}

/** API path prefixes: a set, sorted. */
export function readEndpoints(v: unknown): Read<string[]> {
  if (!Array.isArray(v)) return expected("a list of API paths", v);
  const bad = v.flatMap((e, i) => {
    if (e === UNKNOWN) return [];
    if (typeof e !== "string") return [`entry ${i + 1} is ${kindOf(e)}, not a string`];
    if (!e.startsWith("/") || e.length < 2) return [`${quote(e)} does not start with "/" and a name`];
    if (/\s/.test(e)) return [`${quote(e)} has a blank in it`];
    return [];
  });
  if (bad.length) return { problem: `has entries that are not API paths: ${listSome(bad)}` };
  return { ok: [...new Set(knownEntries(v).known as string[])].sort() };
}

/** The allow list in canonical form (see ip.ts). */
export function readAllowList(v: unknown): Read<string[]> {
  if (!Array.isArray(v)) return expected("a list", v);
  const { entries, problems } = normaliseAllowList(v);
  if (problems.length) return { problem: `has entries that are not IPv4 or IPv6 addresses, CIDR blocks or a-b ranges: ${listSome(problems)}` };
  return { ok: entries };
}
