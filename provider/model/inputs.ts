import { FIX, readAllowList, readEndpoints, readFlag, readName, readScope, readTime, readUserId, readUserName, type Read } from "./fields";
import { LIFE } from "./lifetime";
import { COMPUTED, resolveTimes, type TimeInputs } from "./resolve-time";
import type { RotationSettings } from "./rotation";
import { TIME_FIX, readDuration, readRotation, readTrigger } from "./time-fields";
import { ADOPT_FIX, readAdopt, readServer, type AdoptSettings } from "./adopt";
import { SCOPES, forbiddenScopeChangeMessage, isFixedScope, scopeChangeAllowed, type Scope } from "./scope";
import { strayKeyFailures, type KeySpec } from "./suggest";
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
  /** A rolling lifetime in days (All, Custom, Hyperscale): check resolves it into renewableUntil. */
  renewableFor?: string;
  /** A rolling lifetime in days (MicrosoftSCIM, OneTouchRecovery): check resolves it into expiresAt. */
  expiresIn?: string;
  /** How little of a rolling lifetime may be left before it is extended. */
  extendWhenLeft?: string;
  rotation?: RotationSettings;
  rotationTrigger?: string;
  /** The server profile (`commvault:servers.<name>`); absent: the default `commvault:*` settings. */
  server?: string;
  /** Take over an existing token at the first `up`; inert afterwards (check drops it once the resource exists). */
  adopt?: AdoptSettings;
  /** Computed by check (rulings 3): the secret's generation, and the day the next rotation falls due. */
  generation?: number;
  rotateAfter?: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

type Name = keyof AccessTokenInputs;

/** Every input, and only these: any other key a program passes is refused (suggest.ts). */
export const INPUTS = [
  "name", "scope", "apiEndpoints", "renewableUntil", "expiresAt", "ipAllowlist", "userId", "userName", "replaceOnForbiddenScopeChange",
  "renewableFor", "expiresIn", "extendWhenLeft", "rotation", "rotationTrigger", "server", "adopt",
] as const satisfies readonly Name[];

type Given = (typeof INPUTS)[number];

export const ACCESS_TOKEN_KEYS: KeySpec = {
  owner: "AccessToken",
  inputs: INPUTS,
  outputs: ["tokenId", "accessToken", "refreshToken", "createdAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "rotatedAt", "previous"],
  // Commvault's names for the same things, which users of its API write from habit.
  aliases: { tokenName: "name", tokenType: "scope", allowedIPs: "ipAllowlist", renewableUntilTimestamp: "renewableUntil", tokenExpiryTimestamp: "expiresAt" },
  ignore: ["__provider"],
};

const READERS: { [K in Given]: (v: unknown) => Read<unknown> } = {
  name: readName,
  scope: readScope,
  apiEndpoints: readEndpoints,
  renewableUntil: readTime,
  expiresAt: readTime,
  ipAllowlist: readAllowList,
  userId: readUserId,
  userName: readUserName,
  replaceOnForbiddenScopeChange: readFlag,
  renewableFor: readDuration,
  expiresIn: readDuration,
  extendWhenLeft: readDuration,
  rotation: readRotation,
  rotationTrigger: readTrigger,
  server: readServer,
  adopt: readAdopt,
};

const DAY = 86_400;
const MAX_LIFE = Object.fromEntries(Object.entries(LIFE).map(([k, l]) => [k, l.max])) as Record<Scope, number>;
const LONGEST_LIFE = Math.max(...Object.values(MAX_LIFE));

type Raw = Record<string, unknown>;

function withoutComputed(given: Raw): Raw {
  const rest = { ...given };
  for (const key of COMPUTED) delete rest[key];
  return rest;
}

/** A failure's reason: what is wrong, then how to fix it. */
const OTHER_FIX: Record<string, string> = { ...TIME_FIX, adopt: ADOPT_FIX, server: "name a profile set with `pulumi config set --path commvault:servers.<name>.url ...`" };
const fixOf = (property: Given) => (property in FIX ? FIX[property as keyof typeof FIX] : OTHER_FIX[property]);
const reason = (property: Given, problem: string) => `${property} ${problem}${problem.endsWith("?") ? " Or" : ";"} ${fixOf(property)}`;

/**
 * Validates and normalises the inputs; returns every failure at once, of shape and of meaning.
 * Values still unknown during a preview pass through unchecked, and a rule that involves one is
 * left for the run where it is known: no refusal is made that some known value would not make.
 * `olds` (the previous inputs) make the refusal of a forbidden scope change possible before
 * anything is touched. With failures, the inputs come back as given; without, in canonical form,
 * such that checking them again returns them unchanged.
 */
export function checkInputs(olds: Raw | undefined, news: Raw, nowSeconds: number): { inputs: Raw; failures: CheckFailure[] } {
  const given: Raw = news !== null && typeof news === "object" && !Array.isArray(news) ? news : {};
  const failures: CheckFailure[] = strayKeyFailures(withoutComputed(given), ACCESS_TOKEN_KEYS);
  // Shape: what is wrong, then the field's fix. Meaning: a whole sentence of its own.
  const fail = (property: Given, problem: string) => failures.push({ property, reason: reason(property, problem) });
  const refuse = (property: string, text: string) => failures.push({ property, reason: text });

  // Each input is absent (undefined or null), unknown (passed through), malformed, or read into
  // `v`. A list with an unknown entry is passed through, yet its known entries are still read.
  const unknown: Raw = {};
  const bad = new Set<Name>();
  const v: { [K in Given]?: unknown } = {};
  for (const key of INPUTS) {
    const value = Object.hasOwn(given, key) ? given[key] : undefined;
    if (value === undefined || value === null) continue;
    if (isUnknown(value)) unknown[key] = value;
    if (isUnknown(value) && !Array.isArray(value)) continue;
    const r = READERS[key](value) as Read<unknown> & { failures?: CheckFailure[] };
    if ("problem" in r) {
      // Nested settings name their own properties (rotation.everyDays).
      if (r.failures) failures.push(...r.failures);
      else fail(key, r.problem);
      bad.add(key);
    } else if (!(key in unknown)) {
      v[key] = r.ok;
    }
  }
  /** Whether a rule may use this input: known and well formed (absent counts as known). */
  const settled = (...keys: Name[]) => keys.every((k) => !(k in unknown) && !bad.has(k));

  if (v.name === undefined && settled("name")) fail("name", "is required");

  const scope = (v.scope ?? "All") as Scope;
  const endpoints = v.apiEndpoints as string[] | undefined;
  if (settled("scope", "apiEndpoints")) {
    if (scope === "Custom" && !endpoints?.length) refuse("apiEndpoints", `scope "Custom" needs apiEndpoints; ${FIX.apiEndpoints}`);
    if (scope !== "Custom" && endpoints?.length) refuse("apiEndpoints", `apiEndpoints apply only to scope "Custom"; remove them or set scope: "Custom"`);
  }

  // Lifetimes: the field of the scope; bounds only when the value changes (a new one is sent),
  // so that a date that was valid when written never fails a later preview.
  const times: Raw = {};
  for (const field of ["renewableUntil", "expiresAt"] as const) {
    const seconds = v[field] as number | undefined;
    if (seconds === undefined) continue;
    times[field] = formatEpoch(seconds);
    const wanted = isFixedScope(scope) ? "expiresAt" : "renewableUntil";
    if (settled("scope") && field !== wanted) {
      refuse(field, `${field} does not apply to scope "${scope}": ${isFixedScope(scope) ? "Microsoft SCIM and 1-Touch tokens have expiresAt" : "All, Custom and Hyperscale tokens have renewableUntil"}; use ${wanted}, or leave it out for Commvault's default`);
      continue;
    }
    // After a refresh the previous inputs hold the server's date; the program's own is kept beside it
    // (`__inputs`, see inputsAfterRead): an unchanged declared date that has since passed is not new.
    const declared = (olds?.__inputs as Raw | undefined)?.[field];
    const previous = [olds?.[field], declared].filter((p): p is string => typeof p === "string").map(parseRfc3339);
    if (previous.includes(seconds)) continue;
    // With the scope unknown, only what every scope refuses is refused.
    const most = settled("scope") ? MAX_LIFE[scope] : LONGEST_LIFE;
    if (seconds <= nowSeconds) refuse(field, `${field} ${times[field]} is in the past; choose a time in the future`);
    else if (seconds > nowSeconds + most) refuse(field, `${field} ${times[field]} is more than ${most / DAY} days away, the most Commvault allows${settled("scope") ? ` for scope "${scope}"` : ""}`);
  }

  if (v.userId !== undefined && v.userName !== undefined) refuse("userName", "userId and userName both name the owner: set either userId or userName, not both");

  // The refusal at preview: a scope change Commvault forbids, unless a replacement was asked for.
  const oldScope = olds?.scope;
  if (settled("scope", "replaceOnForbiddenScopeChange") && typeof oldScope === "string" && (SCOPES as readonly string[]).includes(oldScope)) {
    if (!scopeChangeAllowed(oldScope as Scope, scope) && v.replaceOnForbiddenScopeChange !== true) {
      refuse("scope", forbiddenScopeChangeMessage(oldScope as Scope, scope));
    }
  }

  // Rolling lifetimes and rotation become concrete dates and a generation, shown by the preview.
  const timeKeys = ["scope", "renewableUntil", "expiresAt", "renewableFor", "expiresIn", "extendWhenLeft", "rotation", "rotationTrigger"] as const;
  const times2 = settled(...timeKeys) ? resolveTimes({ olds, v: v as TimeInputs, given, scope, now: nowSeconds, refuse }) : undefined;

  if (failures.length) return { inputs: { ...given }, failures };
  const out: Raw = { name: v.name, scope, replaceOnForbiddenScopeChange: v.replaceOnForbiddenScopeChange ?? false, ipAllowlist: v.ipAllowlist ?? [], ...times };
  // Endpoints only where they mean something; an empty list elsewhere is the same as none.
  if (endpoints?.length) out.apiEndpoints = endpoints;
  if (v.userId !== undefined) out.userId = v.userId;
  if (v.userName !== undefined) out.userName = v.userName;
  if (v.rotation !== undefined) out.rotation = v.rotation;
  if (v.rotationTrigger !== undefined) out.rotationTrigger = v.rotationTrigger;
  if (v.server !== undefined) out.server = v.server;
  // adopt acts at the first `up` only: once the resource exists it is dropped, so that a later
  // replacement makes a new token and removing adopt from the program changes nothing.
  if (v.adopt !== undefined && (olds === undefined || Object.keys(olds).length === 0)) out.adopt = v.adopt;
  // Not yet resolvable (an unknown among them): pass the rolling inputs on as given.
  for (const key of ["renewableFor", "expiresIn", "extendWhenLeft"] as const) if (given[key] !== undefined && given[key] !== null && !(key in unknown)) out[key] = given[key];
  Object.assign(out, times2);
  if (v.name === undefined) delete out.name;
  return { inputs: { ...out, ...unknown }, failures };
}
