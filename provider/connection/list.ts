import { CommvaultClient } from "../client/client";
import type { TokenListEntry } from "../client/schemas";
import { ConfigError, resolveSettings, serverMissingMessage, type RawSettings } from "./config";
import { normaliseAllowList } from "../model/ip";
import { isFixedScope, scopeOf, type Scope } from "../model/scope";
import { formatEpoch } from "../model/time";
import { resolveOwner } from "./owner";

/**
 * Reading without managing (issue 9 item 4): the tokens of one owner as Commvault lists them, for
 * programs that only look (`listAccessTokens`), for the plugin's invoke, and for `discover`.
 * Never a secret: Commvault's list holds none.
 */

/** One existing access token, without any secret. */
export interface ListedAccessToken {
  /** Commvault's accessTokenId. */
  tokenId: number;
  name: string;
  scope: Scope;
  /** The owner. */
  userId: number;
  userName?: string;
  /** RFC 3339, UTC; absent when the server does not say. */
  createdAt?: string;
  /** All, Custom, Hyperscale: until when it can be renewed. */
  renewableUntil?: string;
  /** MicrosoftSCIM, OneTouchRecovery: when it expires. */
  expiresAt?: string;
  /** All, Custom, Hyperscale: when its current access token expires (a renew moves it). */
  accessTokenExpiresAt?: string;
  /** Canonical (as `ipAllowlist` is written); empty means anywhere; absent when the server's list leaves it out (unknown, not empty). */
  ipAllowlist?: string[];
  /** Custom only: the API path prefixes it may call. */
  apiEndpoints?: string[];
  lastUsedAt?: string;
}

/** Whose tokens: `userId` or `userName`; neither means the logged-in user. */
export interface ListQuery {
  userId?: number;
  userName?: string;
}

const time = (s: number | undefined) => (s === undefined || s === 0 ? undefined : formatEpoch(s));

/** An allow list as a program writes it; an entry that is not an address stays as the server has it. */
function allowList(list: string[]): string[] {
  const { entries, invalid } = normaliseAllowList(list);
  return [...entries, ...invalid.map(String)];
}

/** A listed token in the resource's terms. */
export function listedToken(t: TokenListEntry, userName?: string): ListedAccessToken {
  const scope = scopeOf(t.tokenType);
  const fixed = isFixedScope(scope);
  const out: ListedAccessToken = {
    tokenId: t.accessTokenId,
    name: t.tokenName,
    scope,
    userId: t.userId,
    userName,
    createdAt: time(t.createdTime),
    renewableUntil: fixed ? undefined : time(t.renewableUntilTimestamp),
    expiresAt: fixed ? time(t.tokenExpiryTimestamp) : undefined,
    accessTokenExpiresAt: fixed ? undefined : time(t.tokenExpiryTimestamp),
    ipAllowlist: t.allowedIPs === undefined ? undefined : allowList(t.allowedIPs),
    apiEndpoints: scope === "Custom" && t.apiEndpoints !== undefined ? [...new Set(t.apiEndpoints)].sort() : undefined,
    lastUsedAt: time(t.lastUsedTime),
  };
  for (const k of Object.keys(out) as (keyof ListedAccessToken)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Refuses a query that is not one owner, with the fix. */
export function readQuery(q: Record<string, unknown>): ListQuery {
  const out: ListQuery = {};
  if (q.userId !== undefined && q.userId !== null) {
    if (typeof q.userId !== "number" || !Number.isSafeInteger(q.userId) || q.userId < 0) throw new Error("listAccessTokens: userId must be a user id (a whole number)");
    out.userId = q.userId;
  }
  if (q.userName !== undefined && q.userName !== null) {
    if (typeof q.userName !== "string" || q.userName.trim() === "") throw new Error("listAccessTokens: userName must be a user name");
    out.userName = q.userName;
  }
  if (out.userId !== undefined && out.userName !== undefined) throw new Error("listAccessTokens: give userId or userName, not both");
  return out;
}

/** The owner's tokens, by id, through a logged-in client (the provider's shared one, or a fresh one). */
export async function listTokensOf(c: CommvaultClient, q: ListQuery): Promise<ListedAccessToken[]> {
  const owner = await resolveOwner(c, q);
  const tokens = await c.listTokens(owner.userId);
  return tokens
    .filter((t) => t.userId === owner.userId)
    .map((t) => listedToken(t, owner.userName))
    .sort((a, b) => a.tokenId - b.tokenId);
}

/**
 * One whole call for a program that is not the provider: the settings as stack config gives them
 * (a profile's own, or the default ones with the COMMVAULT_* fall-back), one login, the list, and
 * the logout. Errors name settings by their keys and never carry the password.
 */
export async function listWithSettings(raw: RawSettings, env: NodeJS.ProcessEnv, server: string | undefined, q: ListQuery): Promise<ListedAccessToken[]> {
  const c = new CommvaultClient(resolveSettings(raw, server === undefined ? env : {}, server));
  try {
    return await listTokensOf(c, q);
  } finally {
    await c.logout();
  }
}

/** The settings of `server` from `commvault:servers` (already parsed), or the refusal that says how to set them. */
export function profileOf(servers: Record<string, RawSettings>, server: string): RawSettings {
  if (Object.hasOwn(servers, server)) return servers[server]!;
  throw new ConfigError(serverMissingMessage(server, Object.keys(servers)));
}
