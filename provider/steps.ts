import type { TokenListEntry } from "./client/schemas";
import { refreshed } from "./mapping";
import type { AccessTokenInputs } from "./model/inputs";
import { ownerKeptMessage } from "./model/owner-rules";
import { planChange, type OwnerVerdict, type Plan } from "./model/plan";
import type { AccessTokenState } from "./model/state";
import { me } from "./owner";
import { callerName, client, lateCommitMs, lister, warn } from "./runtime";

/** Helpers of the lifecycle methods, each for the CommServe a resource lives on (`server`). */

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The listed token that state points at: by id, or by name while a create is unsettled. */
export function locate(tokens: TokenListEntry[], props: AccessTokenState): TokenListEntry | undefined {
  if (props.tokenId !== undefined) return tokens.find((t) => t.accessTokenId === props.tokenId);
  return props.pendingRecreate ? tokens.find((t) => sameName(t.tokenName, props.name)) : undefined;
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
  const plan = planChange(olds, news, owner, now);
  if (plan.health?.kind !== "recreate" || olds.tokenId === undefined) return plan;
  const live = (await lister(olds.server).tokens(olds.userId)).find((t) => t.accessTokenId === olds.tokenId);
  return live ? planChange(refreshed(olds, live), news, owner, now) : plan;
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
