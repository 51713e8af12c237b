import { REFRESH_WINDOW, WARN_AHEAD } from "./health";
import { DAY, defaultExtendWhenLeftDays, parseDays } from "./lifetime";
import { isFixedScope, type Scope } from "./scope";
import { parseRfc3339 } from "./time";

/** A token's outputs, as a stack exports them: what the summary reads. */
export interface LifeOutputs {
  scope: Scope;
  renewableUntil?: string;
  expiresAt?: string;
  accessTokenExpiresAt?: string;
  renewableFor?: string;
  expiresIn?: string;
  extendWhenLeft?: string;
  rotateAfter?: string;
  previous?: { tokenId: number; retireAfter: string };
}

export interface LifeSummary {
  health: "live" | "ending soon" | "dead";
  /** What the next `pulumi up` after `at` does, and when. */
  next?: string;
  why: string;
}

const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

/**
 * A token's health at a glance, from its outputs and the clock (the demo and dashboards show it;
 * the preview says the same in its notes). The refresh window is judged from the access token's
 * expiry in the outputs, which only a refresh updates.
 */
export function summarise(o: LifeOutputs, now: number): LifeSummary {
  const fixed = isFixedScope(o.scope);
  const end = parseRfc3339((fixed ? o.expiresAt : o.renewableUntil) ?? "");
  const lapses = !fixed && o.accessTokenExpiresAt ? (parseRfc3339(o.accessTokenExpiresAt) ?? Infinity) + REFRESH_WINDOW : Infinity;
  const events: { at: number; what: string }[] = [];
  const period = parseDays((fixed ? o.expiresIn : o.renewableFor) ?? "");
  if (end !== undefined && period !== undefined) {
    const left = parseDays(o.extendWhenLeft ?? "") ?? defaultExtendWhenLeftDays(period);
    events.push({ at: end - left * DAY, what: `extends in place (rolling ${period}d, at ${left}d left)` });
  }
  const rotate = parseRfc3339(o.rotateAfter ?? "");
  if (rotate !== undefined) events.push({ at: rotate, what: "rotates (new secret, old one kept for the overlap)" });
  const retire = parseRfc3339(o.previous?.retireAfter ?? "");
  if (retire !== undefined) events.push({ at: retire, what: `retires the previous token ${o.previous!.tokenId}` });
  events.sort((a, b) => a.at - b.at);
  const next = events[0] ? `${events[0].what} from ${day(events[0].at)}` : undefined;

  if (lapses <= now) return { health: "dead", next: "replaced by a new token at the next `pulumi up`", why: `refresh window lapsed on ${day(lapses)}: no consumer renewed it` };
  if (end !== undefined && end <= now) return { health: "dead", next: next ?? "extended in place at the next `pulumi up`", why: `${fixed ? "expired" : "renewable until"} ${day(end)}` };
  if (end !== undefined && end - now <= WARN_AHEAD && period === undefined) {
    return { health: "ending soon", next, why: `${fixed ? "expires" : "renewable until"} ${day(end)}, with no rolling lifetime to extend it` };
  }
  return { health: "live", next, why: end !== undefined ? `${fixed ? "expires" : "renewable until"} ${day(end)}` : "no end reported" };
}
