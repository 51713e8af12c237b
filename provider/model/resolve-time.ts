import { aheadOf, defaultExtendWhenLeftDays, lifetimeField, maxRollingDays, parseDays, rollingEnd, rollingField } from "./lifetime";
import { sameRecipients } from "./recipients";
import { deriveRotation, resealReason, type RotationSettings } from "./rotation";
import { isFixedScope, type Scope } from "./scope";
import { formatEpoch, parseRfc3339 } from "./time";

type Raw = Record<string, unknown>;

/** Inputs that check computes and writes itself; a program may not set them (rulings 3). */
export const COMPUTED = ["generation", "rotateAfter"] as const;

export interface TimeInputs {
  renewableUntil?: number;
  expiresAt?: number;
  renewableFor?: number;
  expiresIn?: number;
  extendWhenLeft?: number;
  rotation?: RotationSettings;
  rotationTrigger?: string;
  sealTo?: string[];
}

export interface TimeContext {
  /** The previous inputs (undefined on a create). */
  olds: Raw | undefined;
  /** The inputs as read (known and well formed only). */
  v: TimeInputs;
  /** The inputs as given: for the computed keys, which are accepted back only when equal. */
  given: Raw;
  scope: Scope;
  now: number;
  refuse(property: string, text: string): void;
}

const days = (n: number) => `${n}d`;

/**
 * Rolling lifetimes and rotation, turned into concrete inputs that the preview shows: the end of
 * life (renewableUntil / expiresAt), the secret's generation and the day the next rotation is due.
 * Only the previous inputs and the clock decide; see lifetime.ts and rotation.ts for the rules.
 * Returns the keys to lay over check's output, or undefined when a rule was broken.
 */
export function resolveTimes(c: TimeContext): Raw | undefined {
  const { v, scope, refuse } = c;
  const field = lifetimeField(scope);
  const rollingKey = rollingField(scope);
  const otherRolling = rollingKey === "renewableFor" ? "expiresIn" : "renewableFor";
  const failuresBefore: string[] = [];
  const no = (property: string, text: string) => {
    failuresBefore.push(property);
    refuse(property, text);
  };

  if (v[otherRolling] !== undefined) {
    no(otherRolling, `${otherRolling} does not apply to scope "${scope}": ${isFixedScope(scope) ? "Microsoft SCIM and 1-Touch tokens have expiresIn" : "All, Custom and Hyperscale tokens have renewableFor"}; use ${rollingKey}`);
  }
  const period = v[rollingKey];
  if (period !== undefined && period > maxRollingDays(scope)) {
    no(rollingKey, `${rollingKey} "${days(period)}" is more than ${maxRollingDays(scope)} days, the most this provider sets for scope "${scope}" (Commvault's bound less a day, for servers whose clock is behind)`);
  }
  if (v.extendWhenLeft !== undefined) {
    if (period === undefined) no("extendWhenLeft", `extendWhenLeft applies to a rolling lifetime; set ${rollingKey} too, or remove extendWhenLeft`);
    else if (v.extendWhenLeft >= period) no("extendWhenLeft", `extendWhenLeft "${days(v.extendWhenLeft)}" must be less than ${rollingKey} "${days(period)}"`);
  }
  const r = v.rotation;
  if (r?.beforeEndDays !== undefined) {
    if (period === undefined) no("rotation.beforeEndDays", `rotation.beforeEndDays needs a rolling lifetime, so that a new token gets a later end; set ${rollingKey}, or use rotation.everyDays`);
    else if (r.beforeEndDays >= period) no("rotation.beforeEndDays", `rotation.beforeEndDays (${r.beforeEndDays}) must be less than ${rollingKey} "${days(period)}"`);
    if (v.extendWhenLeft !== undefined) no("extendWhenLeft", "with rotation.beforeEndDays a token gets a new life by rotation, not by extension; remove extendWhenLeft");
  }
  if (r?.everyDays !== undefined && r.overlapDays !== undefined && r.overlapDays >= r.everyDays) {
    no("rotation.overlapDays", `rotation.overlapDays (${r.overlapDays}) must be less than rotation.everyDays (${r.everyDays}), so that the old token is retired before the next rotation`);
  }
  if (failuresBefore.length) return undefined;

  const out: Raw = {};
  const olds = c.olds;
  let end = v[field];
  if (period !== undefined) {
    const extendWhenLeftDays = v.extendWhenLeft ?? defaultExtendWhenLeftDays(period);
    const prevEnd = typeof olds?.[field] === "string" ? parseRfc3339(olds[field] as string) : undefined;
    const prevPeriod = typeof olds?.[rollingKey] === "string" ? parseDays(olds[rollingKey] as string) : undefined;
    end = rollingEnd({ periodDays: period, extendWhenLeftDays }, prevEnd, prevPeriod, c.now, scope);
    out[rollingKey] = days(period);
    if (v.extendWhenLeft !== undefined) out.extendWhenLeft = days(v.extendWhenLeft);
  }

  const computed: Raw = {};
  const existing = olds !== undefined && Object.keys(olds).length > 0;
  const oldSeal = Array.isArray(olds?.sealTo) ? (olds.sealTo as string[]) : undefined;
  const resealed = existing ? resealReason(oldSeal, v.sealTo, sameRecipients(oldSeal, v.sealTo)) : undefined;
  // A sealed token counts its generations too: a new secret is its only way to new recipients.
  if (r !== undefined || v.rotationTrigger !== undefined || v.sealTo !== undefined || resealed !== undefined) {
    const previous = !existing ? undefined : { generation: olds.generation as number | undefined, rotateAfter: olds.rotateAfter as string | undefined, rotation: olds.rotation as RotationSettings | undefined, rotationTrigger: olds.rotationTrigger as string | undefined };
    const endAfterRotation = period !== undefined ? aheadOf(c.now, period, scope) : end;
    const plan = deriveRotation(previous, r, v.rotationTrigger, c.now, end, endAfterRotation, resealed);
    const previousGeneration = typeof previous?.generation === "number" ? previous.generation : 1;
    // A new token gets a whole new rolling life.
    if (plan.reason && previous !== undefined && plan.generation > previousGeneration) end = endAfterRotation;
    computed.generation = plan.generation;
    if (plan.rotateAfter !== undefined) computed.rotateAfter = plan.rotateAfter;
  }

  // A computed key given back is accepted only when it is what check derives now.
  for (const key of COMPUTED) {
    if (c.given[key] === undefined || c.given[key] === null) continue;
    if (c.given[key] !== computed[key]) refuse(key, `\`${key}\` is computed by the provider from rotation and rotationTrigger, not an input; remove it and read it from the resource instead`);
  }
  if (period !== undefined && c.given[field] !== undefined && end !== undefined && v[field] !== end && !failuresBefore.length) {
    refuse(field, `${field} is set from ${rollingKey}; remove ${field}, or remove ${rollingKey} to declare a fixed date`);
  }
  if (end !== undefined) out[field] = formatEpoch(end);
  return { ...out, ...computed };
}
