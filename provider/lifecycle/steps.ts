import type { TokenListEntry } from "../client/schemas";
import { createRequest, epochText, refreshed } from "./mapping";
import { notOursBecause } from "./create";
import type { AccessTokenInputs } from "../model/inputs";
import { ownerKeptMessage } from "../model/owner-rules";

const ASIDE = /~g\d+$/;
import { planChange, type OwnerVerdict, type Plan } from "../model/plan";
import type { AccessTokenState } from "../model/state";
import { me } from "../connection/owner";
import { callerName, client, lateCommitMs, lister, serverUrl, warn } from "../connection/runtime";
import { sameName } from "../model/names";
import { parseRfc3339 } from "../model/time";

/** Helpers of the lifecycle methods, each for the CommServe a resource lives on (`server`). */


/**
 * The listed token that state points at: by id, or, while a create is unsettled, the token under
 * its name if that create may have made it (the name and dates it sent); someone else's token
 * under the name is never taken for it.
 */
export function locate(tokens: TokenListEntry[], props: AccessTokenState): TokenListEntry | undefined {
  if (props.tokenId !== undefined) return tokens.find((t) => t.accessTokenId === props.tokenId);
  if (!props.pendingRecreate) return undefined;
  const held = tokens.find((t) => sameName(t.tokenName, props.name));
  if (!held) return undefined;
  const sent = createRequest(props, { userId: props.userId, userName: props.userName, explicit: true });
  return notOursBecause(held, sent, lister(props.server).made) === undefined ? held : undefined;
}

/**
 * A token that names no owner stays with the owner recorded at creation. When the provider now
 * logs in as someone else, say so at preview (once per run and token), without any change.
 */
export async function warnIfCallerMoved(olds: AccessTokenState, news: AccessTokenInputs): Promise<void> {
  const caller = callerName(olds.server);
  if (news.userId !== undefined || news.userName !== undefined || !caller || olds.userName === undefined) return;
  // The same text is the common case and needs no look-up; an AD login may differ only in form.
  if (sameName(caller, olds.userName)) return;
  const self = await me(client(olds.server)).catch(() => undefined);
  if (self && self.userId !== olds.userId) warn(ownerKeptMessage(olds.name, `${olds.userName} (user id ${olds.userId})`, `${caller} (user id ${self.userId})`));
}

/**
 * The plan, with the clock. A lapsed refresh window is judged from state, which no refresh may
 * have updated for weeks while the consumer renewed: look at the live token before proposing to
 * replace one that may be in use (one list per owner per wave, and only in that case).
 */
export async function planWithClock(olds: AccessTokenState, news: AccessTokenInputs, owner: OwnerVerdict, now: number): Promise<Plan> {
  const moved = serverMoved(olds, news);
  let plan = planChange(olds, news, owner, now, moved, serverClockOf(olds.server));
  // A PUT of a declared date, and the server's clock unknown to this run (a preview with no
  // refresh makes no call): learn it from the owner's list (shared by the wave) before planning
  // to send a date the server may count as passed. A server whose answers carry no readable Date
  // is asked once per run, not per token; then as before (a refused PUT is the last defence).
  if (sendsDeclaredDate(plan, news) && serverClockOf(olds.server) === undefined && !heardFrom(olds.server)) {
    try {
      await lister(olds.server).recent(olds.userId);
    } catch {
      // Unreachable now: the write, if any, says so.
    }
    plan = planChange(olds, news, owner, now, moved, serverClockOf(olds.server));
  }
  if (plan.health?.kind !== "recreate" || olds.tokenId === undefined) return plan;
  const live = (await lister(olds.server).tokens(olds.userId)).find((t) => t.accessTokenId === olds.tokenId);
  return live ? planChange(refreshed(olds, live), news, owner, now, moved, serverClockOf(olds.server)) : plan;
}

/** Whether that CommServe has answered in this run (false when its settings do not resolve). */
function heardFrom(server: string | undefined): boolean {
  try {
    return client(server).heardFrom();
  } catch {
    return false;
  }
}

/** The CommServe's clock as its last answer in this run dated it (see CommvaultClient.serverClock); undefined when unknown. */
function serverClockOf(server: string | undefined): number | undefined {
  try {
    return client(server).serverClock();
  } catch {
    return undefined;
  }
}

/**
 * Whether the plan PUTs the program's own absolute date (renewableUntil / expiresAt as written,
 * not one that a rolling lifetime or Commvault's default made, which lie days ahead).
 */
function sendsDeclaredDate(plan: Plan, news: AccessTokenInputs): boolean {
  if (plan.action !== "update" || plan.refuse || plan.rotate) return false;
  if (news.renewableFor !== undefined || news.expiresIn !== undefined) return false;
  const sent = plan.patch.renewableUntilTimestamp ?? plan.patch.tokenExpiryTimestamp;
  const declared = [news.renewableUntil, news.expiresAt].map((d) => (typeof d === "string" ? parseRfc3339(d) : undefined));
  return sent !== undefined && declared.includes(sent);
}

/**
 * Whether the program moves the token to another CommServe: judged by the URL its settings name,
 * so that renaming a profile that names the same server is no replacement. State written before
 * the URL was recorded compares profile names. Undefined when the new profile cannot be resolved.
 */
export function serverMoved(olds: AccessTokenState, news: AccessTokenInputs): boolean | undefined {
  if (olds.serverUrl === undefined || typeof news.server === "object") return undefined;
  // The same profile name is never a move: settings that now name another URL are checked before
  // any write (assertSameToken), not followed.
  if ((news.server ?? null) === (olds.server ?? null)) return false;
  try {
    return serverUrl(news.server) !== olds.serverUrl;
  } catch {
    return undefined;
  }
}

/**
 * Before a write (or a refresh) on a token whose settings now name another URL than the one it was
 * made on: the same id there may be someone else's token. Proceed only when the token there is
 * this one (same id and creation time: the URL was an alias); else refuse, saying what to do.
 */
export async function assertSameToken(props: AccessTokenState, server: string | undefined, what: string): Promise<void> {
  if (props.serverUrl === undefined || props.tokenId === undefined) return;
  const now = serverUrl(server);
  if (now === props.serverUrl) return;
  const there = (await lister(server).tokens(props.userId)).find((t) => t.accessTokenId === props.tokenId);
  // The same token: the same creation time, or (when state never learnt it) the same name.
  // The same token: the same name (or its rotation's aside name), and the same creation time when
  // state knows it. A hand rename on top of a changed URL is refused too: better to ask than guess.
  const named = there !== undefined && (sameName(there.tokenName, props.name) || ASIDE.test(there.tokenName));
  if (there && named && (props.createdAt === undefined || epochText(there.createdTime) === props.createdAt)) return;
  const setting = server === undefined ? "commvault:url" : `the profile commvault:servers.${server}`;
  throw new Error(
    `${what} access token "${props.name}" (id ${props.tokenId}): it was made on ${props.serverUrl}, but ${setting} now names ${now}, ` +
      `where token ${props.tokenId} is ${there ? `another token ("${there.tokenName}", created ${epochText(there.createdTime) ?? "at an unknown time"})` : "not found"}. ` +
      `Nothing was written. Point the setting back to ${props.serverUrl}; or, to leave that server, remove the resource from state (\`pulumi state delete <urn>\`) and revoke the token there by hand.`,
  );
}

/** The token an unsettled create made under the name, looked for with bounded waiting. */
export async function waitForPending(props: AccessTokenState): Promise<number | undefined> {
  const until = (props.pendingSince ?? Date.now()) + lateCommitMs(props.server);
  for (let pause = 500; ; pause = Math.min(pause * 2, 4_000)) {
    const found = locate(await lister(props.server).tokens(props.userId), props);
    if (found || Date.now() >= until) return found?.accessTokenId;
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(0, until - Date.now()))));
  }
}

/**
 * A token that names no owner belongs to the user recorded at its creation. A replacement creates
 * the new token for the logged-in user, so when that is someone else, refuse at preview rather
 * than move (or, with delete-first, lose) the token: the program must say whose it is.
 */
export async function assertReplacementKeepsOwner(olds: AccessTokenState, news: AccessTokenInputs): Promise<void> {
  if (news.userId !== undefined || news.userName !== undefined || news.server !== olds.server) return;
  const self = await me(client(olds.server));
  if (self.userId === olds.userId) return;
  throw new Error(
    `access token "${olds.name}" must be replaced, and it names no owner: it belongs to ${olds.userName ?? "user"} (user id ${olds.userId}), ` +
      `but the provider now logs in as ${self.userName} (user id ${self.userId}), for whom the new token would be made. ` +
      `Set userId: ${olds.userId} on the resource to keep its owner, or userId: ${self.userId} to move it on purpose.`,
  );
}
