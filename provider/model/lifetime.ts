import { isFixedScope, type Scope } from "./scope";

export const DAY = 86_400;

/** Commvault's default and longest life per scope (contract section 4). */
export const LIFE: Record<Scope, { default: number; max: number }> = {
  All: { default: 90 * DAY, max: 365 * DAY },
  Custom: { default: 90 * DAY, max: 365 * DAY },
  Hyperscale: { default: 90 * DAY, max: 365 * DAY },
  MicrosoftSCIM: { default: 30 * DAY, max: 365 * DAY },
  OneTouchRecovery: { default: 7 * DAY, max: 14 * DAY },
};

/**
 * Kept under each scope's longest life when the provider picks a date itself (a rolling lifetime
 * or an extension), so that a server whose clock is a little behind ours does not refuse it.
 */
export const MARGIN = DAY;

/** The longest rolling period a scope allows, in days. */
export const maxRollingDays = (scope: Scope) => Math.floor((LIFE[scope].max - MARGIN) / DAY);

/** The lifetime field of a scope, and its rolling counterpart. */
export const lifetimeField = (scope: Scope) => (isFixedScope(scope) ? "expiresAt" : "renewableUntil");
export const rollingField = (scope: Scope) => (isFixedScope(scope) ? "expiresIn" : "renewableFor");

/** The start of the UTC day: dates the provider picks are whole days, so preview and up agree. */
export const dayFloor = (seconds: number) => Math.floor(seconds / DAY) * DAY;

/** "90d" → 90; anything else undefined. Days only: lifetimes are whole days, as Command Center shows them. */
export function parseDays(text: string): number | undefined {
  const m = /^(\d{1,4})d$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** When a rolling lifetime is extended, unless the program says: a third of it, at most 30 days, at least 1. */
export const defaultExtendWhenLeftDays = (periodDays: number) => Math.max(1, Math.min(30, Math.floor(periodDays / 3)));

/** A date the provider picks `days` ahead of now: whole days, within the scope's bound. */
export function aheadOf(now: number, days: number, scope: Scope): number {
  return Math.min(dayFloor(now + days * DAY), dayFloor(now + LIFE[scope].max - MARGIN));
}

export interface Rolling {
  periodDays: number;
  extendWhenLeftDays: number;
}

/**
 * The end of a rolling lifetime, decided in check from the previous inputs: kept while more than
 * `extendWhenLeft` is left (so "now" never makes a diff by itself), moved to `now + period` when
 * less is left, when it has passed, and when the period itself changed.
 */
export function rollingEnd(rolling: Rolling, previousEnd: number | undefined, previousPeriodDays: number | undefined, now: number, scope: Scope): number {
  const keep = previousEnd !== undefined && previousPeriodDays === rolling.periodDays && previousEnd - now > rolling.extendWhenLeftDays * DAY;
  return keep ? previousEnd! : aheadOf(now, rolling.periodDays, scope);
}
