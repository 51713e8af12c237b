import type { TokenListEntry } from "../client/schemas";
import { SETTLE_ENV } from "../connection/config";
import type { TokenLister } from "../connection/lister";
import type { AccessTokenInputs } from "../model/inputs";
import { parseDays, rollingField } from "../model/lifetime";
import type { AccessTokenState } from "../model/state";
import { EVIDENCE, confirmOnlyIf } from "./create";
import { createdText, notLeftBehindBecause } from "./interrupted";
import { createRequest } from "./mapping";

/** What a rotation needs to settle a new token that a run cut short left (the same confirmation as a create's, create.ts). */
export interface RotationSettle {
  /** Ids that the one who runs the stack confirmed as its own leftovers (COMMVAULT_TOKENS_SETTLE). */
  confirmed: ReadonlySet<number>;
  /** Records a leftover refused for want of confirmation; returns every such id of this run so far. */
  awaiting: (tokenId: number) => number[];
  /** Says a line in the run's output (a warning). */
  say: (message: string) => void;
  /** When this run started (its configure), on the one clock. */
  runStart: number;
  /** The resource's URN, where the engine gives it (the plugin). */
  urn?: string;
  /** The CommServe's clock minus the one clock, when its Date header tells it (see Declared.serverOffset). */
  serverOffset?: () => number | undefined;
  /** The longest a create takes (createBoundS), for the refusal's rule. */
  boundS: number;
}

export interface CutRotation {
  olds: AccessTokenState;
  news: AccessTokenInputs;
  /** The token under the declared name, which is not this resource's. */
  clash: TokenListEntry;
  /** The aside name this resource's current token already holds. */
  aside: string;
  now: number;
}

/**
 * A rotation killed after its rename answered and while (or after) its new token's POST was on
 * the wire: this resource's token already holds the aside name (the rotation's first step, which
 * only this resource's rotation takes), and a token under the declared name that the server made
 * for the lost POST, whose secret was lost with the run. Pulumi records such a run as a pending
 * operation "interrupted while updating" and drops the record on the next `up` by itself; the
 * next `up` plans the rotation again and finds the name taken.
 *
 * That token is judged by the same evidence as a create's leftover (interrupted.ts), and revoked
 * only when its id is confirmed (COMMVAULT_TOKENS_SETTLE). Returns when the caller may revoke it
 * and finish the rotation; throws, touching nothing, otherwise.
 */
export function settleCutRotation(s: RotationSettle, lister: TokenLister, r: CutRotation): void {
  const { olds, news, clash, aside, now } = r;
  const owner = { userId: olds.userId, userName: olds.userName, explicit: true };
  const rolling = news[rollingField(news.scope)];
  const declared = { req: createRequest(news, owner), scope: news.scope, rollingDays: rolling === undefined ? undefined : parseDays(rolling), now, runStart: s.runStart, serverOffset: s.serverOffset?.() };
  const user = olds.userName ?? olds.userId;
  const created = createdText(clash.createdTime, declared);
  const sign = `this resource's token ${olds.tokenId} already holds its aside name "${aside}", a rotation's first step, which only this resource's own rotation takes`;
  const why = notLeftBehindBecause(clash, declared, lister.made, lister.held);
  const listed = s.confirmed.has(clash.accessTokenId);
  if (why !== undefined) {
    throw new Error(
      `rotating access token "${news.name}": a Commvault access token named "${clash.tokenName}" already exists for user ${user} (token id ${clash.accessTokenId}, created ${created}); names are unique per user. ` +
        (listed ? `${SETTLE_ENV} lists token ${clash.accessTokenId}, but the evidence does not hold, so it is never revoked. ` : "") +
        `A rotation of this resource was cut short (${sign}), and that run may have made token ${clash.accessTokenId}; ` +
        `but it is not taken for that rotation's new token because ${why}, so it was not touched. ` +
        `If it is not needed, revoke it in Command Center and run \`pulumi up\` again: the rotation finishes. Otherwise rename it in Command Center, or give this resource${s.urn ? ` (${s.urn})` : ""} another name; ` +
        `token ${olds.tokenId} keeps working as "${aside}" meanwhile.`,
    );
  }
  if (!listed) {
    const ids = s.awaiting(clash.accessTokenId);
    const list = ids.join(",");
    throw new Error(
      `rotating access token "${news.name}": a Commvault access token named "${clash.tokenName}" already exists for user ${user} (token id ${clash.accessTokenId}, created ${created}). ` +
        `It looks like the new token of a rotation of this resource that a run of this stack cut short left behind: ${sign}, and token ${clash.accessTokenId} shows all the evidence of a token that run made (${EVIDENCE}); ` +
        "but the server cannot show whose it is (another stack declaring the same name and owner, or a token made by hand, looks the same): " +
        "only Pulumi's own record confirms it: the warning of the first run after the one cut short (\"Attempting to deploy or update resources with ... pending operations from previous deployment\") lists this resource as \"interrupted while updating\"; " +
        "Pulumi drops that record in that run, so later runs no longer list it. " +
        confirmOnlyIf(clash.accessTokenId, "updating", s.boundS) +
        `Nothing was touched; token ${olds.tokenId} keeps working as "${aside}". If ${ids.length > 1 ? `tokens ${list} are` : `token ${list} is`} this stack's, run \`${SETTLE_ENV}=${list} pulumi up\` ` +
        "(it revokes each, whose secret was lost, and makes it again: here it finishes the rotation). " +
        `If not, delete or rename token ${clash.accessTokenId} in Command Center, then run \`pulumi up\` again.`,
    );
  }
  s.say(
    `rotating access token "${news.name}" of user ${user}: token ${clash.accessTokenId}, created ${created}, confirmed by ${SETTLE_ENV} as the new token of this resource's rotation that a run cut short left behind ` +
      `(${sign}), and shows all the evidence of it (${EVIDENCE}); its secret was lost with that run: revoking it and finishing the rotation (token ${olds.tokenId} stays aside as "${aside}" for the overlap)`,
  );
}
