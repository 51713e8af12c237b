import { z } from "zod";
import { normaliseAllowList } from "./ip";
import { SCOPES, forbiddenScopeChangeMessage, isFixedScope, scopeChangeAllowed, type Scope } from "./scope";
import { formatEpoch, parseRfc3339 } from "./time";
import { isUnknown } from "./unknown";

/** The resource's inputs after check: validated and in canonical form. */
export interface AccessTokenInputs {
  name: string;
  scope: Scope;
  apiEndpoints?: string[];
  renewableUntil?: string;
  expiresAt?: string;
  ipAllowlist: string[];
  userId?: number;
  userName?: string;
  replaceOnForbiddenScopeChange: boolean;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

const DAY = 86_400;
const MAX_LIFE: Record<Scope, number> = { All: 365 * DAY, Custom: 365 * DAY, Hyperscale: 365 * DAY, MicrosoftSCIM: 365 * DAY, OneTouchRecovery: 14 * DAY };

const Shape = z.object({
  name: z.string().min(1).max(255),
  scope: z.enum(SCOPES).default("All"),
  apiEndpoints: z.array(z.string()).optional(),
  renewableUntil: z.string().optional(),
  expiresAt: z.string().optional(),
  ipAllowlist: z.array(z.string()).optional(),
  userId: z.number().int().positive().optional(),
  userName: z.string().min(1).optional(),
  replaceOnForbiddenScopeChange: z.boolean().optional(),
});

/** How to fix each property, appended to zod's description of what is wrong. */
const FIX: Record<string, string> = {
  name: "set name to the token's display name, 1 to 255 characters",
  scope: `use one of ${SCOPES.map((s) => `"${s}"`).join(", ")}`,
  apiEndpoints: 'list API path prefixes, e.g. ["/client", "/v4/servergroup"]',
  renewableUntil: "use an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
  expiresAt: "use an RFC 3339 time, e.g. 2027-01-31T00:00:00Z",
  ipAllowlist: 'list IPv4 or IPv6 addresses, CIDR blocks or a-b ranges, e.g. ["10.0.0.0/8", "2001:db8::1"]',
  userId: "use the owner's numeric Commvault user id",
  userName: "use the owner's Commvault user name",
  replaceOnForbiddenScopeChange: "use true or false",
};

type Raw = Record<string, unknown>;

/**
 * Validates and normalises the inputs. Returns every failure at once. Values still unknown
 * during a preview pass through unchecked; `olds` (the previous inputs) make the refusal of a
 * forbidden scope change possible before anything is touched.
 */
export function checkInputs(olds: Raw | undefined, news: Raw, nowSeconds: number): { inputs: Raw; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  const known: Raw = {};
  const unknown: Raw = {};
  for (const key of Object.keys(Shape.shape)) {
    if (news[key] === undefined || news[key] === null) continue;
    (isUnknown(news[key]) ? unknown : known)[key] = news[key];
  }
  for (const key of Object.keys(news)) {
    if (!(key in Shape.shape) && !key.startsWith("__") && news[key] !== undefined) {
      fail(key, `"${key}" is not an AccessToken input; remove it (inputs are ${Object.keys(Shape.shape).join(", ")})`);
    }
  }
  // A required property that is merely unknown is not missing.
  const parsed = ("name" in unknown ? Shape.partial({ name: true }) : Shape).safeParse(known);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const property = String(issue.path[0] ?? "");
      fail(property, `${issue.message.replace(/^Invalid input: /, "")}; ${FIX[property] ?? "see the AccessToken docs"}`);
    }
    return { inputs: { ...news }, failures };
  }
  const v = parsed.data;
  const scope = v.scope ?? "All";
  const scopeKnown = !("scope" in unknown);
  const out: Raw = { ...v, scope, replaceOnForbiddenScopeChange: v.replaceOnForbiddenScopeChange ?? false };

  // Endpoints: a set, required with Custom and refused with the other scopes.
  if (v.apiEndpoints) {
    const bad = v.apiEndpoints.filter((e) => !e.startsWith("/") || e.trim().length < 2);
    if (bad.length) fail("apiEndpoints", `entries must be API paths starting with "/": ${bad.join(", ")}; ${FIX.apiEndpoints}`);
    out.apiEndpoints = [...new Set(v.apiEndpoints.map((e) => e.trim()))].sort();
  }
  if (scopeKnown && !("apiEndpoints" in unknown)) {
    const count = v.apiEndpoints?.length ?? 0;
    if (scope === "Custom" && count === 0) fail("apiEndpoints", `scope "Custom" needs apiEndpoints; ${FIX.apiEndpoints}`);
    if (scope !== "Custom" && count > 0) fail("apiEndpoints", `apiEndpoints apply only to scope "Custom"; remove them or set scope: "Custom"`);
  }
  if (scope !== "Custom" && !v.apiEndpoints?.length) delete out.apiEndpoints;

  // Lifetimes: the field of the scope, in canonical RFC 3339; bounds only when the value changes,
  // so that a date that was valid when written never fails a later preview.
  for (const field of ["renewableUntil", "expiresAt"] as const) {
    const text = v[field];
    if (text === undefined) continue;
    const seconds = parseRfc3339(text);
    if (seconds === undefined) {
      fail(field, `"${text}" is not an RFC 3339 time with an offset; ${FIX[field]}`);
      continue;
    }
    out[field] = formatEpoch(seconds);
    if (!scopeKnown) continue;
    const wanted = isFixedScope(scope) ? "expiresAt" : "renewableUntil";
    if (field !== wanted) {
      fail(field, `${field} does not apply to scope "${scope}": ${isFixedScope(scope) ? "Microsoft SCIM and 1-Touch tokens have expiresAt" : "All, Custom and Hyperscale tokens have renewableUntil"}; use ${wanted}`);
      continue;
    }
    const previous = typeof olds?.[field] === "string" ? parseRfc3339(olds[field] as string) : undefined;
    if (previous !== seconds) {
      if (seconds <= nowSeconds) fail(field, `${out[field]} is in the past; choose a time in the future`);
      else if (seconds > nowSeconds + MAX_LIFE[scope]) fail(field, `${out[field]} is more than ${MAX_LIFE[scope] / DAY} days away, the most Commvault allows for scope "${scope}"`);
    }
  }

  if (v.ipAllowlist) {
    const { entries, invalid } = normaliseAllowList(v.ipAllowlist);
    if (invalid.length) fail("ipAllowlist", `not an IPv4 or IPv6 address, CIDR block or a-b range: ${invalid.join(", ")}; ${FIX.ipAllowlist}`);
    out.ipAllowlist = entries;
  } else if (!("ipAllowlist" in unknown)) {
    out.ipAllowlist = [];
  }

  if (v.userId !== undefined && v.userName !== undefined) fail("userName", "set either userId or userName to name the owner, not both");

  // The refusal at preview: a scope change Commvault forbids, unless a replacement was asked for.
  const oldScope = olds?.scope;
  if (scopeKnown && typeof oldScope === "string" && (SCOPES as readonly string[]).includes(oldScope)) {
    if (!scopeChangeAllowed(oldScope as Scope, scope) && !out.replaceOnForbiddenScopeChange) {
      fail("scope", forbiddenScopeChangeMessage(oldScope as Scope, scope));
    }
  }

  return { inputs: { ...out, ...unknown }, failures };
}
