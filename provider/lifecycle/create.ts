import { mayHaveCommitted, type CommvaultClient, type CreateTokenRequest } from "../client/client";
import { CommvaultError, CreateAnswerLostError } from "../client/errors";
import type { CreatedToken, TokenListEntry } from "../client/schemas";
import type { TokenLister } from "../connection/lister";
import { formatEpoch } from "../model/time";
import { sameName } from "../model/names";
import { createdText, notLeftBehindBecause, type Declared } from "./interrupted";
import { DEFAULT_RETRY } from "../client/retry";
import { SETTLE_ENV } from "../connection/config";

/** How many POSTs one create may send in all, when answers keep being lost. */
export const MAX_POSTS = 6;

export interface CreateDeps {
  client: CommvaultClient;
  lister: TokenLister;
  /** Ids in the list that the name check read: tokens that existed before the first POST. */
  before?: ReadonlySet<number>;
  /** Progress for the run's output (a lost answer, a wait, a revoke). */
  note?: (message: string) => void;
  /** How long to keep looking for a create that a slow server may still commit. */
  lateCommitMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * A create that ended without a token whose secret we hold, after a lost answer. `tokenId` is the
 * token that the last look-up found under the name (its secret is gone), if any. The caller keeps
 * the resource in state as pending, so the next `up` replaces it and nothing is orphaned.
 */
export class CreateUnsettledError extends Error {
  /** When the last POST was sent (epoch ms): a late commit of it is looked for until this plus the wait a create allows. */
  lastPostAt = 0;

  constructor(
    message: string,
    readonly tokenId: number | undefined,
  ) {
    super(message);
    this.name = "CommvaultCreateUnsettledError";
  }
}

/**
 * A token that someone else put under the name while a create's answer was lost. The name is
 * unique per user, so this create's POSTs made nothing: no token is touched, nothing is pending.
 */
export class NameHeldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommvaultNameHeldError";
  }
}

/**
 * Why a token listed under the name is not the one this create's POSTs made, or undefined when it
 * may be: the server keeps a name as sent, a token another create of this process made or one
 * listed before the first POST is someone else's, and the scope and dates are the ones sent.
 */
export function notOursBecause(t: TokenListEntry, req: CreateTokenRequest, made: ReadonlySet<number>, before?: ReadonlySet<number>): string | undefined {
  if (t.tokenName !== req.tokenName) return `it is named "${t.tokenName}", and this create sent "${req.tokenName}"`;
  if (made.has(t.accessTokenId)) return "another resource of this stack made it in this run";
  if (before?.has(t.accessTokenId)) return "it existed before this create's first POST (renamed to this name since)";
  if (req.tokenType !== undefined && t.tokenType !== undefined && t.tokenType !== req.tokenType) return "its scope is not the one this create sent";
  if (req.renewableUntilTimestamp !== undefined && t.renewableUntilTimestamp !== undefined && t.renewableUntilTimestamp !== req.renewableUntilTimestamp) {
    return "its renewable-until is not the one this create sent";
  }
  if (req.tokenExpiryTimestamp !== undefined && t.tokenExpiryTimestamp !== undefined && t.tokenExpiryTimestamp !== req.tokenExpiryTimestamp) return "its expiry is not the one this create sent";
  return undefined;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** What went wrong, in a few words: the client's full message ends with advice that does not apply here. */
const causeOf = (e: unknown) =>
  e instanceof CreateAnswerLostError
    ? `the answer was lost after token ${e.accessTokenId} was made`
    : CommvaultError.isInstance(e) ? [e.networkCode, e.status !== undefined ? `HTTP ${e.status}` : undefined, e.errorMessage].filter(Boolean).join(", ") || e.kind : messageOf(e);

interface Owner {
  userId: number;
  userName?: string;
}

function nameTaken(clash: TokenListEntry, owner: Owner, made: ReadonlySet<number>, notLeft?: NotLeft): Error {
  const head = `a Commvault access token named "${clash.tokenName}" already exists for user ${owner.userName ?? owner.userId} (token id ${clash.accessTokenId}); names are unique per user, case-insensitively.`;
  if (made.has(clash.accessTokenId)) {
    return new Error(`${head} Another resource of this stack made it in this run: give one of the two another name.`);
  }
  return new Error(
    `${head} If another resource of this stack holds it (one renamed or deleted in this same run, or this resource under an earlier logical name), ` +
      "Pulumi creates before it renames or deletes: keep the logical name with `aliases`, or make the change in two `pulumi up`s (free the name first). " +
      (notLeft ? interruptedWaysOut(clash, notLeft) : "") +
      "Otherwise give this resource another name, or delete that token in Command Center first.",
  );
}

/** Why a token under the name was not taken for one an interrupted run left, and where the resource is (the plugin's URN). */
export interface NotLeft {
  why: string;
  urn?: string;
  /** Whether COMMVAULT_TOKENS_SETTLE listed it all the same. */
  confirmed?: boolean;
}

/** What the server shows of a token that a run cut short left: necessary, never sufficient. */
export const EVIDENCE =
  "its exact name, scope, end of life, endpoints and allow list as declared, never used nor renewed, made before this run and within the last day, held by no resource this run has seen";

/**
 * What confirming a leftover takes, checked in `pulumi stack export` (docs/runs-cut-short.md):
 * Pulumi's record that this stack tried, that no resource of it holds the token, and that the
 * token was made while that try could still have been committing (the checkpoint's manifest time
 * is the killed run's last write, after the start of every pending operation).
 */
export function confirmOnlyIf(tokenId: number, opType: "creating" | "updating", boundS: number): string {
  return (
    `Confirm it only if, in \`pulumi stack export\` of this stack: a pending operation of type ${opType} declares this name and owner; ` +
    `no resource's outputs hold tokenId ${tokenId} (a resource of this stack that this run has not looked at yet, such as one whose inputs were still unknown or one renamed from this name in this run, holds it alike: never confirm such an id); ` +
    `and it was created no later than the checkpoint's deployment.manifest.time plus ${boundS} s (the longest a create takes) by this machine's clock. `
  );
}

/**
 * A token under the name that shows every sign of this stack's own leftover, but that nobody
 * confirmed: refused before any write, with the one command that settles every such token of the run.
 */
function unconfirmedLeftover(clash: TokenListEntry, owner: Owner, ids: readonly number[], left: LeftBehindCheck): Error {
  const list = ids.join(",");
  return new Error(
    `a Commvault access token named "${clash.tokenName}" already exists for user ${owner.userName ?? owner.userId} (token id ${clash.accessTokenId}, created ${createdText(clash.createdTime, left.declared)}). ` +
      `It looks like one that a run of this stack cut short left behind while creating this resource (${EVIDENCE}), ` +
      "but the server cannot show whose it is (another stack declaring the same name and owner, a token made by hand, or a resource of this stack that this run has not looked at yet, looks the same): " +
      "only Pulumi's own record confirms it (\"interrupted while creating\" in the previous run's warning, or the stack's pending operations in `pulumi stack export`). " +
      confirmOnlyIf(clash.accessTokenId, "creating", left.boundS) +
      `Nothing was touched. If ${ids.length > 1 ? `tokens ${list} are` : `token ${list} is`} this stack's, run \`${SETTLE_ENV}=${list} pulumi up\` ` +
      "(it revokes each, whose secret was lost, and makes it again), then `pulumi refresh --clear-pending-creates --yes`; " +
      "the ids are those this run refused, and a create the run never started is refused in the next run, so it may take more than one round. " +
      "If not, give this resource another name, or take that token over with `adopt: { tokenId: " + clash.accessTokenId + " }`.",
  );
}

/**
 * The ways out when a token under the name may be this resource's own from a run cut short, but
 * the evidence does not show it (rulings 12): nothing was touched, so the user decides.
 */
function interruptedWaysOut(clash: TokenListEntry, n: NotLeft): string {
  // Not `pulumi refresh --import-pending-creates`: with the CLI v3.274.1 it drops the record and
  // imports nothing (measured), and an imported token has no secret either; adopt does both doors.
  const takeOver = `take it over as it is (its secret stays unknown) by declaring \`adopt: { tokenId: ${clash.accessTokenId} }\` on this resource${n.urn ? ` (${n.urn})` : ""} and running \`pulumi up\``;
  return (
    (n.confirmed ? `${SETTLE_ENV} lists token ${clash.accessTokenId}, but the evidence does not hold, so it is never revoked. ` : "") +
    `If a run of this stack was cut short while creating this resource (Pulumi listed it as "interrupted while creating"), that run may have made it, ` +
      `but it is not taken for such a token because ${n.why}, so it was not touched: ${takeOver}, or revoke it in Command Center and run \`pulumi up\` again to make a new one; ` +
      "then clear Pulumi's records of interrupted creates with `pulumi refresh --clear-pending-creates --yes`. "
  );
}

/**
 * How old a list may be and still serve a create's name check. After a lost answer, a token that
 * appeared under the name since that list, with the exact name and dates the create sent, cannot
 * be told from the create's own: the list's age widens that window, so it is kept short.
 */
const NAME_CHECK_MAX_AGE_MS = 500;

/** How long a create whose name is taken waits for a rename of that token to be planned by this run. */
const PLAN_GRACE_MS = 3_000;

/**
 * The same, for a token whose id COMMVAULT_TOKENS_SETTLE confirms: before a revoke, a resource of
 * this stack whose inputs resolve late (and whose diff then holds or renames the token) gets
 * longer to say so. Only a settle run waits it, and it ends as soon as one does.
 */
const SETTLE_GRACE_MS = 15_000;

/** The request time-out when none is configured (ClientSettings.timeoutMs). */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The longest, in whole seconds, from when Pulumi records a create as pending (before it calls
 * the provider) to the server's commit of the create's last POST, with a request time-out of
 * `timeoutMs` and the default retry policy. One call with its retries: no retry starts after
 * maxElapsedMs, and the last attempt may wait out its time-out. Before the first POST: four calls
 * (owner, permission, the name check's lists), the wait for a rename to free the name and the
 * grace; each POST but the last: the POST, the look-up before its retry, the wait for a late
 * commit with a last list, and a revoke; the last POST commits within its call.
 */
export function createBoundS(timeoutMs = DEFAULT_TIMEOUT_MS): number {
  const call = DEFAULT_RETRY.maxElapsedMs + timeoutMs;
  const late = Math.min(120_000, Math.max(10_000, 2 * timeoutMs));
  const before = 4 * call + late + SETTLE_GRACE_MS;
  const perPost = 4 * call + late;
  return Math.ceil((before + (MAX_POSTS - 1) * perPost + call) / 1000);
}

/** How to judge, and settle, a token under the name that a run cut short may have left (see interrupted.ts). */
export interface LeftBehindCheck {
  declared: Declared;
  /** Revokes a token (already gone counts as revoked). */
  revoke: (tokenId: number) => Promise<void>;
  /** Ids that the one who runs the stack confirmed as its own leftovers (COMMVAULT_TOKENS_SETTLE). */
  confirmed: ReadonlySet<number>;
  /** Records a leftover refused for want of confirmation; returns every such id of this run so far. */
  awaiting: (tokenId: number) => number[];
  /** Says a line in the run's output (a warning). */
  say: (message: string) => void;
  /** The resource's URN, where the engine gives it (the plugin). */
  urn?: string;
  /** The longest a create takes (createBoundS of this server's time-out), for the refusal's rule. */
  boundS: number;
  /** The CommServe's clock minus the one clock, read when the token is judged (the name check's list has dated it by then). */
  serverOffset?: () => number | undefined;
}

/** The line that names the command clearing Pulumi's records of interrupted creates. */
export const CLEAR_PENDING =
  "where a run of this stack was cut short while creating access tokens (Pulumi lists its creates as pending operations), once this `pulumi up` has settled them, clear Pulumi's records of those creates " +
  '("pending operations ... interrupted while creating", which `pulumi refresh --yes` keeps) with `pulumi refresh --clear-pending-creates --yes`';

/**
 * The name check before a create: a token of the same name would make the create fail, so say so
 * plainly, before any POST; and the name was free, so a token found under it after a lost answer
 * is ours. The owner's recent list serves it (see TokenLister.recent); a clash in it is confirmed
 * by a fresh list, since a token deleted a moment ago may still show there. A token that a run cut
 * short left under the name (all the evidence of interrupted.ts, and its id confirmed by
 * COMMVAULT_TOKENS_SETTLE) is revoked and said, and the
 * create goes on. Returns the ids that list held: tokens that existed before the first POST.
 */
export async function assertNameFree(lister: TokenLister, owner: Owner, name: string, waitMs = 0, left?: LeftBehindCheck): Promise<ReadonlySet<number>> {
  const clashIn = (all: TokenListEntry[]) => all.find((t) => sameName(t.tokenName, name));
  let listed = await lister.recent(owner.userId, NAME_CHECK_MAX_AGE_MS);
  if (clashIn(listed)) listed = await lister.tokens(owner.userId);
  let clash = clashIn(listed);
  // Another resource of this run renames that token away (the engine runs the two steps side by
  // side, with no order between them): wait for its PUT, then look again. The same grace lets a
  // resource that holds it say so (its diff) before it could be taken for a run's leftover.
  // (A token this run made is not renamed by it: no grace for that one.)
  const grace = waitMs > 0 && clash && !lister.made.has(clash.accessTokenId) ? (left?.confirmed.has(clash.accessTokenId) ? SETTLE_GRACE_MS : PLAN_GRACE_MS) : 0;
  if (clash && (await lister.freed(clash.accessTokenId, waitMs, grace))) {
    listed = await lister.tokens(owner.userId);
    clash = clashIn(listed);
  }
  if (clash && left) {
    left = { ...left, declared: { ...left.declared, serverOffset: left.serverOffset?.() ?? left.declared.serverOffset } };
    const why = notLeftBehindBecause(clash, left.declared, lister.made, lister.held);
    const isListed = left.confirmed.has(clash.accessTokenId);
    if (why !== undefined) throw nameTaken(clash, owner, lister.made, { why, urn: left.urn, confirmed: isListed });
    // The server's evidence cannot tell this stack's leftover from another stack's token declared
    // alike, or one made by hand: only the one who runs the stack, from Pulumi's record, can.
    if (!isListed) throw unconfirmedLeftover(clash, owner, left.awaiting(clash.accessTokenId), left);
    left.say(
      `access token "${clash.tokenName}" of user ${owner.userName ?? owner.userId}: token ${clash.accessTokenId}, created ${createdText(clash.createdTime, left.declared)}, confirmed by ${SETTLE_ENV} as one that a run cut short left behind while creating it, ` +
        `shows all the evidence of it (${EVIDENCE}); its secret was lost with that run: revoking it and creating it again`,
    );
    await left.revoke(clash.accessTokenId);
    left.say(CLEAR_PENDING);
    listed = await lister.tokens(owner.userId);
    clash = clashIn(listed);
  }
  if (clash) throw nameTaken(clash, owner, lister.made);
  return new Set(listed.map((t) => t.accessTokenId));
}

/**
 * A create the server refused as invalid, while the name check passed on a recent list: when a
 * token of that name is there now (made by hand since), the refusal is said as the check would.
 */
export async function nameTakenSince(e: unknown, lister: TokenLister, owner: Owner, name: string): Promise<never> {
  if (CommvaultError.isInstance(e) && e.kind === "validation") {
    const clash = await lister.tokens(owner.userId).then((all) => all.find((t) => sameName(t.tokenName, name)), () => undefined);
    if (clash) throw nameTaken(clash, owner, lister.made);
  }
  throw e;
}

/**
 * Creates the token, never leaving one behind untracked. The name was checked free before, so a
 * token that appears under it after a lost answer is ours: it is revoked (its secret is gone) and
 * created again. A server that commits late is waited for, with fresh lists, before any new POST
 * and before anything is reported; the report says only what the last list showed.
 */
export async function createWithRecovery(deps: CreateDeps, req: CreateTokenRequest, ownerId: number): Promise<CreatedToken> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const find = async (): Promise<TokenListEntry | undefined> =>
    (await deps.lister.tokens(ownerId)).find((t) => sameName(t.tokenName, req.tokenName));

  /** Looks for the name until it shows or `ms` has passed; one look at least. */
  const waitFor = async (ms: number): Promise<TokenListEntry | undefined> => {
    const until = now() + ms;
    for (let pause = 500; ; pause = Math.min(pause * 2, 4_000)) {
      const found = await find();
      if (found || now() >= until) return found;
      await sleep(Math.min(pause, Math.max(0, until - now())));
    }
  };

  const revoke = async (tokenId: number): Promise<void> => {
    try {
      await deps.client.deleteToken(tokenId);
    } catch (e) {
      if (!(CommvaultError.isInstance(e) && e.gone === "token")) throw e;
    }
  };

  const note = deps.note ?? (() => undefined);
  /** Refuses a token under the name that this create did not make: it is never revoked. */
  const mustBeOurs = (t: TokenListEntry, cause: string): void => {
    const why = notOursBecause(t, req, deps.lister.made, deps.before);
    if (why === undefined) return;
    throw new NameHeldError(
      `creating access token "${req.tokenName}": the server's answer was lost (${cause}), and token ${t.accessTokenId} ("${t.tokenName}") now holds the name, but this create did not make it: ${why}. ` +
        `It was not touched, and no token was made for this resource (names are unique per user, case-insensitively). ` +
        `If it belongs to another resource of this stack, give one of the two another name; otherwise rename this resource, or delete that token in Command Center first.`,
    );
  };
  let lost = 0;
  let lastCause = "";
  // Whether the last loss was a time-out, after which a slow server may still commit.
  let slow = false;
  let lastPostAt = now();
  const settle = (last: TokenListEntry | Error | undefined, cause = lastCause): never => {
    try {
      return unsettled(req.tokenName, lost, cause, last, now);
    } catch (e) {
      if (e instanceof CreateUnsettledError) e.lastPostAt = lastPostAt;
      throw e;
    }
  };
  for (let post = 1; post <= MAX_POSTS; post++) {
    try {
      lastPostAt = now();
      return await deps.client.createToken(req);
    } catch (e) {
      let found: TokenListEntry | { accessTokenId: number } | undefined;
      if (e instanceof CreateAnswerLostError) {
        // Not "after token N was made": whose token that is, is what is being asked.
        if (e.listed) mustBeOurs(e.listed, "no answer came to a POST, and a list then showed the name taken");
        found = e.listed ?? { accessTokenId: e.accessTokenId };
        slow = false;
      } else if (CommvaultError.isInstance(e) && mayHaveCommitted(e)) {
        // A time-out may mean the server is still working on it; other losses show at once.
        slow = e.networkCode === "ECONNABORTED" || e.networkCode === "ETIMEDOUT" || e.status === 504;
        lost++;
        lastCause = causeOf(e);
        const wait = slow ? deps.lateCommitMs : 1_000;
        note(`commvault: create access token "${req.tokenName}": the answer was lost (${lastCause}); looking for the token for up to ${Math.round(wait / 1000)} s before POST ${post + 1} of at most ${MAX_POSTS}`);
        const seen = await lastLook(waitFor, wait);
        // Without a list there is no knowing what the server holds: stop, and say so.
        if (seen instanceof Error) return settle(seen);
        if (seen) mustBeOurs(seen, lastCause);
        found = seen;
      } else if (lost > 0 && CommvaultError.isInstance(e) && e.kind === "validation") {
        // "name already present" after a lost answer: an earlier POST committed late.
        const seen = await lastLook(waitFor, 0);
        if (seen instanceof Error || !seen) return settle(seen, causeOf(e));
        mustBeOurs(seen, lastCause || causeOf(e));
        found = seen;
      } else if (lost > 0) {
        lastCause = causeOf(e);
        break;
      } else {
        throw e;
      }
      if (e instanceof CreateAnswerLostError) {
        lost++;
        lastCause = causeOf(e);
      }
      if (found) {
        note(`commvault: create access token "${req.tokenName}": token ${found.accessTokenId} was made but its answer, which carries the secret, was lost: revoking it and creating it again`);
        try {
          await revoke(found.accessTokenId);
        } catch (r) {
          lastCause = `revoking token ${found.accessTokenId}, made without its answer, failed: ${messageOf(r)}`;
          break;
        }
      }
    }
  }
  const last = await lastLook(waitFor, slow ? deps.lateCommitMs : 0);
  if (last && !(last instanceof Error)) mustBeOurs(last, lastCause);
  return settle(last);
}

async function lastLook(waitFor: (ms: number) => Promise<TokenListEntry | undefined>, ms: number): Promise<TokenListEntry | Error | undefined> {
  try {
    return await waitFor(ms);
  } catch (e) {
    return e instanceof Error ? e : new Error(messageOf(e));
  }
}

function unsettled(name: string, lost: number, cause: string, last: TokenListEntry | Error | undefined, now: () => number): never {
  const head = `creating access token "${name}": the server's answer was lost ${lost} time(s) (last: ${cause})`;
  const next = "The resource is kept in state as pending: the next `pulumi up` settles it (it revokes any token made under this name, after waiting for a late one, and creates a new one).";
  if (last instanceof Error) {
    throw new CreateUnsettledError(`${head}; whether a token was left could not be checked (${last.message}). ${next}`, undefined);
  }
  if (last) {
    throw new CreateUnsettledError(`${head}; token ${last.accessTokenId} exists under this name but its secret was lost. ${next}`, last.accessTokenId);
  }
  throw new CreateUnsettledError(
    `${head}; no token of this name was listed at ${formatEpoch(Math.floor(now() / 1000))}, but a slow server may still commit one. ${next}`,
    undefined,
  );
}
