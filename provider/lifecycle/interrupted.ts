import type { CreateTokenRequest } from "../client/client";
import type { TokenListEntry } from "../client/schemas";
import { DAY, LIFE, aheadOf } from "../model/lifetime";
import { normaliseAllowList } from "../model/ip";
import { isFixedScope, type Scope } from "../model/scope";
import { formatEpoch } from "../model/time";

/**
 * A token that a killed `pulumi up` left behind: its create's POST reached the server, but the
 * run died before the engine recorded the answer (and the secret in it). The engine keeps only a
 * record that a create was under way ("pending operations ... interrupted while creating"), and
 * the next `up` creates the resource again, under a name the server says is taken.
 *
 * Such a token is recognised by evidence only (rulings 12); every point must hold, or nothing is
 * touched:
 * - its name is exactly the one this create sends (the server keeps a name as sent);
 * - no resource of this stack holds it in this run (its diff, read or update named it), and no
 *   create of this run made it;
 * - its scope, API endpoints and allow list are what this create sends;
 * - its end of life is what a create of the same declaration sent within the window: a declared
 *   date exactly; a rolling lifetime the date it resolved to on a day of the window (check
 *   resolves it from the clock, to whole UTC days, so a re-run after midnight sends the next
 *   day); Commvault's default its default after the token's creation (both from the server's clock);
 * - it was never used (`lastUsedTime`): its secret came only in the lost answer, so nobody can
 *   have used it, and a used token is never taken for one; nor renewed: a renewable token's access
 *   expiry is still its creation plus the access life (Renew moves it, and may leave lastUsedTime);
 * - it was created before this run started (a token made since is someone's of now, not a killed
 *   run's) and within RECENT_S before now: on the one clock, the server's createdTime less its
 *   clock's offset from the Date header; when no Date header tells it, SKEW_S allowed for a server
 *   clock behind.
 *
 * What the server cannot show, and no door is told: whether a resource of this stack that this run
 * never looks at (one the program no longer declares, which the run deletes at its end) holds it,
 * and whether it is this stack's at all: another stack declaring the same name and owner, or a
 * token made by hand alike, shows the same. So evidence alone never revokes: the one who runs the
 * stack confirms the id (COMMVAULT_TOKENS_SETTLE, from Pulumi's own record of the interrupted
 * create), and create.ts revokes only a confirmed id whose token also holds all of this.
 */

/** How long after an interrupted run its token is still taken for the stack's own. */
export const RECENT_S = 24 * 3600;
/** How long a renewable token's access token lasts from its creation or a renewal (contract: 30 minutes). */
export const ACCESS_LIFE_S = 30 * 60;
/** How far the server's clock may be behind ours, for its createdTime, and its default end's slack. */
export const SKEW_S = 3600;

export interface Declared {
  /** What this create sends. */
  req: CreateTokenRequest;
  scope: Scope;
  /** The rolling period in days, when the lifetime is rolling. */
  rollingDays?: number;
  /** The one clock, epoch seconds. */
  now: number;
  /** When this run started (its configure), on the same clock. */
  runStart: number;
  /**
   * The CommServe's clock minus the one clock, in seconds, from the Date header of its latest
   * answer (CommvaultClient.serverClock); undefined when its answers carry none. Puts the server's
   * createdTime on this machine's clock, so that a server clock ahead or behind moves nothing.
   */
  serverOffset?: number;
}

/** How far a createdTime put on our clock may still be off: the Date header is whole seconds, rounded down, and read a moment before now. */
export const OFFSET_SLACK_S = 5;

/** A token's creation on the one clock (the server's createdTime less its clock's offset, when known) and how far off that may be. */
export function createdHere(createdTime: number, d: Pick<Declared, "serverOffset">): { at: number; slack: number; known: boolean } {
  return d.serverOffset === undefined
    ? { at: createdTime, slack: SKEW_S, known: false }
    : { at: createdTime - d.serverOffset, slack: OFFSET_SLACK_S, known: true };
}

/** The token's creation as a refusal prints it: on this machine's clock when the server's offset is known, and always which clock. */
export function createdText(createdTime: number | undefined, d: Pick<Declared, "serverOffset">): string {
  if (createdTime === undefined || createdTime === 0) return "at an unknown time";
  const c = createdHere(createdTime, d);
  return c.known
    ? `${formatEpoch(c.at)} by this machine's clock, the CommServe's createdTime ${formatEpoch(createdTime)} less its clock's offset of ${signed(d.serverOffset!)} s from its Date header`
    : `${formatEpoch(createdTime)} by the CommServe's clock, whose offset to this machine's is unknown since its answers carry no Date header`;
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));

const sorted = (l: readonly string[] | undefined) => [...(l ?? [])].sort().join("\n");
const at = (s: number) => formatEpoch(s);

/** Why `t` is not a token that an interrupted create of this declaration left behind, or undefined when all the evidence holds. */
export function notLeftBehindBecause(t: TokenListEntry, d: Declared, made: ReadonlySet<number>, held: ReadonlyMap<number, string>): string | undefined {
  const { req, now } = d;
  if (t.tokenName !== req.tokenName) return `it is named "${t.tokenName}", and this create sends "${req.tokenName}"`;
  if (made.has(t.accessTokenId)) return "another resource of this stack made it in this run";
  if (held.has(t.accessTokenId)) return `another resource of this stack (${held.get(t.accessTokenId)}) holds it`;
  if (t.tokenType !== req.tokenType) return "its scope is not the declared one";
  if (sorted(t.apiEndpoints) !== sorted(req.apiEndpoints)) return "its API endpoints are not the declared ones";
  if (t.allowedIPs === undefined ? (req.allowedIPs ?? []).length > 0 : sorted(normaliseAllowList(t.allowedIPs).entries) !== sorted(req.allowedIPs)) {
    return "its IP allow list is not the declared one";
  }
  if (t.lastUsedTime) return `it has been used (last at ${at(t.lastUsedTime)})`;
  if (t.createdTime === undefined || t.createdTime === 0) return "the server does not say when it was created";
  if (!isFixedScope(d.scope) && t.tokenExpiryTimestamp !== undefined && t.tokenExpiryTimestamp !== t.createdTime + ACCESS_LIFE_S) {
    return `it has been renewed (its access token expires at ${at(t.tokenExpiryTimestamp)}, not ${ACCESS_LIFE_S / 60} minutes after its creation at ${at(t.createdTime)})`;
  }
  // On our clock when the server's offset is known (a CommServe clock hours ahead moves nothing);
  // otherwise on the server's, with SKEW_S allowed for it being behind.
  const created = createdHere(t.createdTime, d);
  const clock = created.known ? "by this machine's clock" : "by the CommServe's clock";
  if (created.at >= d.runStart) return `it was created at ${at(created.at)} ${clock}, after this run started (${at(d.runStart)})`;
  if (created.at < now - RECENT_S - created.slack) return `it was created at ${at(created.at)} ${clock}, more than ${Math.round((RECENT_S + created.slack) / 3600)} hours before now (${at(now)})`;
  return endDiffers(t, d);
}

function endDiffers(t: TokenListEntry, d: Declared): string | undefined {
  const fixed = isFixedScope(d.scope);
  const field = fixed ? "expiry" : "renewable-until";
  const end = fixed ? t.tokenExpiryTimestamp : t.renewableUntilTimestamp;
  const sent = fixed ? d.req.tokenExpiryTimestamp : d.req.renewableUntilTimestamp;
  if (end === undefined) return `the server does not say its ${field}`;
  if (sent === undefined) {
    // Commvault's default: the server's now at creation plus the scope's default life.
    const expected = t.createdTime! + LIFE[d.scope].default;
    return Math.abs(end - expected) <= SKEW_S ? undefined : `its ${field} ${at(end)} is not Commvault's default (the program declares none)`;
  }
  if (end === sent) return undefined;
  if (d.rollingDays !== undefined && rolledTo(end, d.rollingDays, d.scope, d.now - RECENT_S, d.now)) return undefined;
  return `its ${field} ${at(end)} is not the declared ${at(sent)}`;
}

/** Whether `end` is what a rolling period resolved to at some moment from `from` to `to` (whole UTC days; later moments give later days). */
function rolledTo(end: number, days: number, scope: Scope, from: number, to: number): boolean {
  return end % DAY === 0 && end >= aheadOf(from, days, scope) && end <= aheadOf(to, days, scope);
}
