import type { CommvaultClient } from "../client/client";
import { CommvaultError } from "../client/errors";
import type { TokenListEntry } from "../client/schemas";
import { createWithRecovery } from "./create";
import type { TokenLister } from "../connection/lister";
import { createRequest, stateOf } from "./mapping";
import type { AccessTokenInputs } from "../model/inputs";
import { DAY, dayFloor } from "../model/lifetime";
import { DEFAULT_OVERLAP_DAYS, asideName } from "../model/rotation";
import type { AccessTokenState } from "../model/state";
import { formatEpoch } from "../model/time";
import { sameName } from "../model/names";
import { sealState } from "./seal";
import { settleCutRotation, type RotationSettle } from "./rotate-interrupted";

export interface RotateDeps {
  client: CommvaultClient;
  lister: TokenLister;
  lateCommitMs: number;
  note?: (message: string) => void;
  /** Settles a new token that a rotation cut short left under the declared name (rotate-interrupted.ts); without it, such a token is refused as any other. */
  settle?: RotationSettle;
}


/** Revokes a token; one already gone counts as revoked. */
export async function revoke(c: CommvaultClient, tokenId: number): Promise<void> {
  try {
    await c.deleteToken(tokenId);
  } catch (e) {
    if (!(CommvaultError.isInstance(e) && e.gone === "token")) throw e;
  }
}

/**
 * The state of a token just made, its pair sealed to sealTo. Sealing cannot fail on recipients
 * check accepted; should it fail all the same, the new token is revoked (nobody could ever read
 * its secret) and the error says so: the next `up` makes it again.
 */
export async function sealOrRevoke(c: CommvaultClient, state: AccessTokenState): Promise<AccessTokenState> {
  try {
    return await sealState(state);
  } catch (e) {
    const revoked = state.tokenId === undefined ? false : await revoke(c, state.tokenId).then(() => true, () => false);
    throw new Error(
      `sealing the secret of access token "${state.name}" to sealTo failed (${(e as Error).message}); ` +
        (revoked ? `token ${state.tokenId} was revoked, and \`pulumi up\` makes it again` : `token ${state.tokenId} could not be revoked: delete it in Command Center`),
    );
  }
}

/**
 * A new secret without breaking consumers (rename-aside): the current token is renamed
 * `<name>~g<generation>` and keeps working for the overlap, a new token is created under the
 * declared name (names are unique per user), and a later run retires the old one. At most two
 * tokens exist: a rotation first retires the one a previous rotation kept aside. Each step is
 * safe to repeat: a rotation that failed halfway is finished by the next run.
 */
export async function rotate(d: RotateDeps, olds: AccessTokenState, news: AccessTokenInputs, now: number): Promise<AccessTokenState> {
  let tokens = await d.lister.tokens(olds.userId);
  const generation = olds.generation ?? 1;
  // From the declared name: a refresh after a rotation cut short reads the name already aside.
  const aside = asideName(news.name, generation);
  const mine = new Set([olds.tokenId, olds.previous?.tokenId]);
  const clashOn = (wanted: string) => tokens.find((t) => sameName(t.tokenName, wanted) && !mine.has(t.accessTokenId));
  const current = tokens.find((t) => t.accessTokenId === olds.tokenId);
  // This resource's token already aside, and a token under the declared name: a rotation killed
  // while its new token's POST was on the wire, whose token is settled as an interrupted create's.
  const left = clashOn(news.name);
  if (left && d.settle && current?.tokenName === aside) {
    settleCutRotation(d.settle, d.lister, { olds, news, clash: left, aside, now });
    await revoke(d.client, left.accessTokenId);
    tokens = await d.lister.tokens(olds.userId);
  }
  // Both names must be free of other tokens before anything is touched.
  for (const wanted of [news.name, aside]) {
    const clash = clashOn(wanted);
    if (clash) {
      throw new Error(
        `rotating access token "${news.name}": another token (id ${clash.accessTokenId}) already holds the name "${clash.tokenName}"; names are unique per user. ` +
          `Delete or rename that token in Command Center, then run \`pulumi up\` again; token ${olds.tokenId} keeps working meanwhile.`,
      );
    }
  }
  // At most two tokens: the one a previous rotation kept aside goes now.
  if (olds.previous) await revoke(d.client, olds.previous.tokenId);
  if (current && current.tokenName !== aside) await d.client.modifyToken(current.accessTokenId, { tokenName: aside });

  const owner = { userId: olds.userId, userName: olds.userName, explicit: true };
  const before = new Set(tokens.map((t) => t.accessTokenId));
  const created = await createWithRecovery({ client: d.client, lister: d.lister, before, note: d.note, lateCommitMs: d.lateCommitMs }, createRequest(news, owner), olds.userId);
  d.lister.made.add(created.accessTokenId);
  // From here on the new token exists: nothing may throw, or state would lose it.
  const listed = await d.lister.tokens(olds.userId).then(
    (all) => all.find((t: TokenListEntry) => t.accessTokenId === created.accessTokenId),
    () => undefined,
  );
  // Sealed before anything leaves: a failure revokes the new token, and the next run finishes.
  const state: AccessTokenState = await sealOrRevoke(d.client, { ...stateOf(news, owner, created, listed), rotatedAt: formatEpoch(now) });
  if (!current) return state;
  const overlapDays = news.rotation?.overlapDays ?? DEFAULT_OVERLAP_DAYS;
  const kept = { tokenId: current.accessTokenId, name: aside, generation, retireAfter: formatEpoch(dayFloor(now + overlapDays * DAY)) };
  if (overlapDays > 0) return { ...state, previous: kept };
  // No overlap asked for: revoke it now, or leave it due for the next run if that fails.
  return revoke(d.client, current.accessTokenId).then(
    () => state,
    () => ({ ...state, previous: { ...kept, retireAfter: formatEpoch(now) } }),
  );
}
