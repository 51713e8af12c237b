import type { Read } from "./fields";
import { kindOf, quote } from "./quote";
import type { RotationSettings } from "./rotation";
import { DEFAULT_OVERLAP_DAYS } from "./rotation";
import { strayKeyFailures, type KeySpec } from "./suggest";
import { parseDays } from "./lifetime";
import type { CheckFailure } from "./failure";

/** How to fix each lifetime and rotation input, the end of each of its failures. */
export const TIME_FIX = {
  renewableFor: 'use a number of days such as "90d" (All, Custom, Hyperscale; at most 364)',
  expiresIn: 'use a number of days such as "30d" (MicrosoftSCIM at most 364, OneTouchRecovery at most 13)',
  extendWhenLeft: 'use a number of days such as "30d", less than renewableFor or expiresIn',
  rotation: "use { everyDays?: number, beforeEndDays?: number, overlapDays?: number } (whole days)",
  rotationTrigger: "use any text; a new value issues a new secret",
} as const;

/** "90d": a whole number of days, at least one. */
export function readDuration(v: unknown): Read<number> {
  if (typeof v !== "string") return { problem: `must be a number of days as text such as "90d", not ${kindOf(v)}` };
  const days = parseDays(v);
  if (days === undefined) return { problem: `${quote(v)} is not a number of days (write it as "90d")` };
  if (days < 1) return { problem: `${quote(v)} is not at least one day` };
  return { ok: days };
}

export function readTrigger(v: unknown): Read<string> {
  if (typeof v !== "string") return { problem: `must be text, not ${kindOf(v)}` };
  if (v.length > 255) return { problem: `${quote(v)} has ${v.length} characters, more than 255` };
  return { ok: v };
}

const ROTATION_KEYS: KeySpec = { owner: "AccessToken rotation", inputs: ["everyDays", "beforeEndDays", "overlapDays"], prefix: "rotation." };

/** The rotation settings: known keys only (each a whole number of days), overlap defaulted. */
export function readRotation(v: unknown): Read<RotationSettings> & { failures?: CheckFailure[] } {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { problem: `must be an object, not ${kindOf(v)}` };
  const given = v as Record<string, unknown>;
  const failures = strayKeyFailures(given, ROTATION_KEYS);
  const out: RotationSettings = {};
  for (const [key, min] of [["everyDays", 1], ["beforeEndDays", 1], ["overlapDays", 0]] as const) {
    const value = given[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > 3650) {
      failures.push({ property: `rotation.${key}`, reason: `rotation.${key} must be a whole number of days from ${min} to 3650, not ${kindOf(value)}; ${TIME_FIX.rotation}` });
      continue;
    }
    out[key] = value;
  }
  if (failures.length) return { problem: failures.map((f) => f.reason).join("; "), failures };
  out.overlapDays ??= DEFAULT_OVERLAP_DAYS;
  return { ok: out };
}
