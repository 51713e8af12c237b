import type { AccessTokenInputs } from "./inputs";
import { DAY, LIFE, aheadOf, lifetimeField, parseDays, rollingField } from "./lifetime";
import { isFixedScope } from "./scope";
import type { AccessTokenState } from "./state";
import { formatEpoch, parseRfc3339 } from "./time";
import { isUnknown } from "./unknown";

/** After its access token expires, an All/Custom/Hyperscale token can be renewed for 14 days (contract section 4). */
export const REFRESH_WINDOW = 14 * DAY;

/** How soon before its end a token with Commvault's default lifetime is announced in the preview. */
export const WARN_AHEAD = 14 * DAY;

/**
 * What the clock says of a token, from its state (what the server said at the last refresh) and
 * the program's inputs. Pure: diff judges with it and plan turns it into calls.
 * - live: works; `note` when a default lifetime ends soon (a warning, no change).
 * - extend: dead or due, and Commvault can extend it in place (same id, same secret) to `until`.
 * - recreate: its refresh window lapsed unrenewed; nothing revives it but a new token.
 * - stale-date: the program declares a date that has passed: the token ended then, or (alive) its
 *   end was moved outside Pulumi; only the program can fix that, and no PUT may send that date.
 */
export type Health =
  | { kind: "live"; note?: string }
  | { kind: "extend"; reason: string; until: number }
  | { kind: "recreate"; reason: string }
  | { kind: "stale-date"; reason: string; alive?: boolean };

const at = (s: number) => formatEpoch(s);

/**
 * `serverClock` is the CommServe's clock as its last answer dated it (undefined when unknown): a
 * fact read, not "now". A declared date is sent only when it is in the future by both clocks, as
 * the server judges it by its own; everything else is judged by the one clock.
 */
export function judge(state: AccessTokenState, inputs: AccessTokenInputs, now: number, serverClock?: number): Health {
  if (isUnknown(inputs.scope) || state.scope !== inputs.scope) return { kind: "live" };
  const scope = state.scope;
  if (!isFixedScope(scope) && state.accessTokenExpiresAt !== undefined) {
    const lapses = (parseRfc3339(state.accessTokenExpiresAt) ?? Infinity) + REFRESH_WINDOW;
    if (lapses <= now) {
      return {
        kind: "recreate",
        reason: `its refresh window lapsed at ${at(lapses)} (no consumer renewed it within 14 days of ${state.accessTokenExpiresAt}); Commvault cannot revive it, so a new token (a new secret) replaces it`,
      };
    }
  }
  const field = lifetimeField(scope);
  const end = parseRfc3339(state[field] ?? "");
  if (end === undefined) return { kind: "live" };
  const declared = inputs[field];
  const ended = end <= now;
  const label = field === "expiresAt" ? "expired" : "renewable until";
  if (declared === undefined) {
    // Commvault's default lifetime: restored when it ends, announced before.
    if (ended) return { kind: "extend", reason: `${label} ${at(end)} has passed`, until: aheadOf(now, LIFE[scope].default / DAY, scope) };
    if (end - now <= WARN_AHEAD) {
      return { kind: "live", note: `${label} ${at(end)}: Commvault's default lifetime ends in ${Math.ceil((end - now) / DAY)} day(s); set ${field === "expiresAt" ? "expiresIn" : "renewableFor"} to have it extended in place before then` };
    }
    return { kind: "live" };
  }
  if (isUnknown(declared)) return { kind: "live" };
  const stated = parseRfc3339(declared);
  // With a rolling lifetime the date is not the program's: check resolved it from the period at
  // the last run. A resolved date that has passed (the inputs of the last run, as refresh diffs
  // them) is what check resolves afresh before any up: judged so, it says what up does, once.
  const rolling = inputs[rollingField(scope)];
  const period = typeof rolling === "string" && !isUnknown(rolling) ? parseDays(rolling) : undefined;
  const wanted = period !== undefined && stated !== undefined && stated <= latest(now, serverClock) ? aheadOf(now, period, scope) : stated;
  const fix = `Set a later ${field}, or use a rolling lifetime (${field === "expiresAt" ? "expiresIn" : "renewableFor"}) to have it extended in place`;
  // Passed by our clock, or by the server's (ahead of ours): the server refuses it either way.
  const passed = wanted !== undefined && wanted <= latest(now, serverClock);
  // Passed by the server's clock only: say so, with both times, or the user looks for the fault in the program.
  const where = passed && wanted > now ? ` ${clockAheadReason(now, serverClock!)}` : "";
  const check = where ? CLOCK_HINT : "";
  // A passed date never reaches a PUT, whatever the server's date is (one set in Command Center since).
  if (!ended && passed && wanted !== end) {
    return { kind: "stale-date", alive: true, reason: `the program declares ${field}: ${declared}, which has passed${where}, while the token is ${label} ${at(end)} (set outside Pulumi); a passed date cannot be sent. ${fix}${check}` };
  }
  if (!ended) return { kind: "live" };
  if (wanted !== undefined && !passed) return { kind: "extend", reason: `${label} ${at(end)} has passed`, until: wanted };
  return {
    kind: "stale-date",
    reason: `${label} ${at(end)} has passed, and the program still declares ${field}: ${declared}${where ? `, which has passed${where}` : ""}. ${fix}${check}`,
  };
}

/** Ends a refusal whose date passed by the server's clock only: the fault may be that clock. */
const CLOCK_HINT = ", and check the CommServe's time (an NTP source for both machines keeps them together)";

/**
 * For a write that would bring a token to the program's own date (an adoption's PUT): why it
 * cannot, when the date has passed by the server's clock but not by ours (ours is `check`'s to
 * refuse); undefined otherwise. A rolling lifetime's date is the provider's, days ahead.
 */
export function passedOnServerReason(inputs: AccessTokenInputs, current: number | undefined, now: number, serverClock: number | undefined): string | undefined {
  if (isUnknown(inputs.scope) || serverClock === undefined || inputs.renewableFor !== undefined || inputs.expiresIn !== undefined) return undefined;
  const field = lifetimeField(inputs.scope);
  const declared = inputs[field];
  if (typeof declared !== "string" || isUnknown(declared)) return undefined;
  const wanted = parseRfc3339(declared);
  if (wanted === undefined || wanted === current || wanted <= now || wanted > serverClock) return undefined;
  return (
    `the program declares ${field}: ${declared}, which has passed ${clockAheadReason(now, serverClock)}; a passed date cannot be sent to bring the token to the program. ` +
    `Set a later ${field}, or use a rolling lifetime (${field === "expiresAt" ? "expiresIn" : "renewableFor"})${CLOCK_HINT}`
  );
}

/** The later of our clock and the server's last known one: by then a declared date has surely passed on the server. */
export function latest(now: number, serverClock: number | undefined): number {
  return serverClock === undefined ? now : Math.max(now, serverClock);
}

function clockAheadReason(now: number, serverClock: number): string {
  return `by the CommServe's clock, which is ahead of this machine's (the CommServe's clock said ${at(serverClock)} in its last answer; this machine's clock says ${at(now)})`;
}
