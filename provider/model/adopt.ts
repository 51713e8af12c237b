import type { CheckFailure } from "./failure";
import type { Read } from "./fields";
import { kindOf, quote } from "./quote";
import { strayKeyFailures, type KeySpec } from "./suggest";

/** Which existing token the first `up` takes over instead of creating one (issue 9). */
export interface AdoptSettings {
  /** Commvault's accessTokenId, as Command Center or `discover` shows it. */
  tokenId?: number;
  /** The owner's token whose name is the resource's `name` (case-insensitively). */
  byName?: boolean;
  /** Right after adopting, rotate it: a new token (a known secret) under the name, the adopted one kept aside for the overlap. */
  thenRotate?: boolean;
}

export const ADOPT_FIX = "use { tokenId: <id> } or { byName: true }, and thenRotate: true to issue a known secret at once";

const ADOPT_KEYS: KeySpec = { owner: "AccessToken adopt", inputs: ["tokenId", "byName", "thenRotate"], prefix: "adopt." };

export function readAdopt(v: unknown): Read<AdoptSettings> & { failures?: CheckFailure[] } {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { problem: `must be an object, not ${kindOf(v)}` };
  const given = v as Record<string, unknown>;
  const failures = strayKeyFailures(given, ADOPT_KEYS);
  const out: AdoptSettings = {};
  const no = (key: string, text: string) => failures.push({ property: `adopt.${key}`, reason: `adopt.${key} ${text}; ${ADOPT_FIX}` });
  if (given.tokenId !== undefined && given.tokenId !== null) {
    if (typeof given.tokenId !== "number" || !Number.isSafeInteger(given.tokenId) || given.tokenId <= 0) no("tokenId", `must be a token id (a whole number above 0), not ${kindOf(given.tokenId)}`);
    else out.tokenId = given.tokenId;
  }
  for (const key of ["byName", "thenRotate"] as const) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "boolean") no(key, `must be true or false, not ${kindOf(value)}`);
    else if (value) out[key] = true;
  }
  if (!failures.length && out.tokenId !== undefined && out.byName) no("byName", "and adopt.tokenId both say which token: set one of them");
  if (!failures.length && out.tokenId === undefined && !out.byName) failures.push({ property: "adopt", reason: `adopt names no token; ${ADOPT_FIX}` });
  if (failures.length) return { problem: failures.map((f) => f.reason).join("; "), failures };
  return { ok: out };
}

/** A server profile's name, as `commvault:servers.<name>` spells it. */
export function readServer(v: unknown): Read<string> {
  if (typeof v !== "string") return { problem: `must be the name of a server profile, not ${kindOf(v)}` };
  if (!/^[A-Za-z0-9][\w.-]{0,62}$/.test(v)) return { problem: `${quote(v)} is not a server profile name (letters, digits, ".", "-", "_"; at most 63)` };
  return { ok: v };
}
