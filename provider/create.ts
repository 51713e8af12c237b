import { mayHaveCommitted, type CommvaultClient, type CreateTokenRequest } from "./client/client";
import { CommvaultError, CreateAnswerLostError } from "./client/errors";
import type { CreatedToken, TokenListEntry } from "./client/schemas";
import type { TokenLister } from "./lister";
import { formatEpoch } from "./model/time";
import { sameName } from "./model/names";

/** How many POSTs one create may send in all, when answers keep being lost. */
const MAX_POSTS = 6;

export interface CreateDeps {
  client: CommvaultClient;
  lister: TokenLister;
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

function nameTaken(clash: TokenListEntry, owner: Owner): Error {
  return new Error(
    `a Commvault access token named "${clash.tokenName}" already exists for user ${owner.userName ?? owner.userId} (token id ${clash.accessTokenId}); ` +
      `names are unique per user. Give this resource another name, or delete that token in Command Center first.`,
  );
}

/**
 * The name check before a create: a token of the same name would make the create fail, so say so
 * plainly, before any POST; and the name was free, so a token found under it after a lost answer
 * is ours. The owner's recent list serves it (see TokenLister.recent); a clash in it is confirmed
 * by a fresh list, since a token deleted a moment ago may still show there.
 */
export async function assertNameFree(lister: TokenLister, owner: Owner, name: string): Promise<void> {
  const clashIn = (all: TokenListEntry[]) => all.find((t) => sameName(t.tokenName, name));
  const clash = clashIn(await lister.recent(owner.userId)) && clashIn(await lister.tokens(owner.userId));
  if (clash) throw nameTaken(clash, owner);
}

/**
 * A create the server refused as invalid, while the name check passed on a recent list: when a
 * token of that name is there now (made by hand since), the refusal is said as the check would.
 */
export async function nameTakenSince(e: unknown, lister: TokenLister, owner: Owner, name: string): Promise<never> {
  if (CommvaultError.isInstance(e) && e.kind === "validation") {
    const clash = await lister.tokens(owner.userId).then((all) => all.find((t) => sameName(t.tokenName, name)), () => undefined);
    if (clash) throw nameTaken(clash, owner);
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
        found = { accessTokenId: e.accessTokenId };
        slow = false;
      } else if (CommvaultError.isInstance(e) && mayHaveCommitted(e)) {
        // A time-out may mean the server is still working on it; other losses show at once.
        slow = e.networkCode === "ECONNABORTED" || e.networkCode === "ETIMEDOUT" || e.status === 504;
        lost++;
        lastCause = causeOf(e);
        const seen = await lastLook(waitFor, slow ? deps.lateCommitMs : 1_000);
        // Without a list there is no knowing what the server holds: stop, and say so.
        if (seen instanceof Error) return settle(seen);
        found = seen;
      } else if (lost > 0 && CommvaultError.isInstance(e) && e.kind === "validation") {
        // "name already present" after a lost answer: an earlier POST committed late.
        const seen = await lastLook(waitFor, 0);
        if (seen instanceof Error || !seen) return settle(seen, causeOf(e));
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
        try {
          await revoke(found.accessTokenId);
        } catch (r) {
          lastCause = `revoking token ${found.accessTokenId}, made without its answer, failed: ${messageOf(r)}`;
          break;
        }
      }
    }
  }
  return settle(await lastLook(waitFor, slow ? deps.lateCommitMs : 0));
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
