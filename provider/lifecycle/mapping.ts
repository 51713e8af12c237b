import type { CreateTokenRequest } from "../client/client";
import type { CreatedToken, ModifiedToken, TokenListEntry } from "../client/schemas";
import type { AccessTokenInputs } from "../model/inputs";
import { normaliseAllowList } from "../model/ip";
import { TOKEN_TYPE, isFixedScope, scopeOf } from "../model/scope";
import type { AccessTokenState } from "../model/state";
import { formatEpoch, parseRfc3339 } from "../model/time";
import type { Owner } from "../connection/owner";

/** Between the resource's model and Commvault's wire format, both ways. */
export const epochText = (s: number | undefined) => (s === undefined || s === 0 ? undefined : formatEpoch(s));

export function createRequest(inputs: AccessTokenInputs, owner: Owner): CreateTokenRequest {
  const req: CreateTokenRequest = { tokenName: inputs.name, tokenType: TOKEN_TYPE[inputs.scope], allowedIPs: inputs.ipAllowlist };
  if (owner.explicit) req.userId = owner.userId;
  if (inputs.scope === "Custom") req.apiEndpoints = inputs.apiEndpoints;
  const renewable = parseRfc3339(inputs.renewableUntil ?? "");
  const expiry = parseRfc3339(inputs.expiresAt ?? "");
  if (!isFixedScope(inputs.scope) && renewable !== undefined) req.renewableUntilTimestamp = renewable;
  if (isFixedScope(inputs.scope) && expiry !== undefined) req.tokenExpiryTimestamp = expiry;
  return req;
}

/** The state after a create: the inputs, the create's answer, and what only the list knows (createdAt). */
export function stateOf(inputs: AccessTokenInputs, owner: Owner, t: CreatedToken, listed?: TokenListEntry): AccessTokenState {
  const fixed = isFixedScope(inputs.scope);
  const state: AccessTokenState = {
    ...inputs,
    __inputs: declaredOf(inputs),
    tokenId: t.accessTokenId,
    userId: owner.userId,
    userName: owner.userName,
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    createdAt: epochText(listed?.createdTime),
    accessTokenExpiresAt: fixed ? undefined : epochText(t.tokenExpiryTimestamp),
    refreshTokenExpiresAt: epochText(t.refreshTokenExpiryTimestamp),
    renewableUntil: fixed ? undefined : epochText(t.renewableUntilTimestamp) ?? inputs.renewableUntil,
    expiresAt: fixed ? epochText(t.tokenExpiryTimestamp) ?? inputs.expiresAt : undefined,
  };
  return dropUndefined(state);
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The server's allow list in canonical form; an entry we cannot read is kept as written, so it shows as drift. */
function serverAllowList(list: string[]): string[] {
  const { entries, invalid } = normaliseAllowList(list);
  return [...entries, ...invalid.map(String)];
}

/** The server's view of a listed token, laid over the state; secrets and inputs-only fields stay. */
export function refreshed(state: AccessTokenState, t: TokenListEntry): AccessTokenState {
  const scope = scopeOf(t.tokenType);
  const fixed = isFixedScope(scope);
  const next: AccessTokenState = {
    ...state,
    name: t.tokenName,
    scope,
    // A field the list leaves out is unknown, not empty: keep what state says.
    apiEndpoints: scope !== "Custom" ? undefined : t.apiEndpoints === undefined ? state.apiEndpoints : [...new Set(t.apiEndpoints)].sort(),
    ipAllowlist: t.allowedIPs === undefined ? state.ipAllowlist : serverAllowList(t.allowedIPs),
    renewableUntil: fixed ? undefined : epochText(t.renewableUntilTimestamp) ?? state.renewableUntil,
    expiresAt: fixed ? epochText(t.tokenExpiryTimestamp) ?? state.expiresAt : undefined,
    accessTokenExpiresAt: fixed ? undefined : epochText(t.tokenExpiryTimestamp) ?? state.accessTokenExpiresAt,
    createdAt: epochText(t.createdTime) ?? state.createdAt,
  };
  return dropUndefined(next);
}


/**
 * The state after an update: the new inputs, what the server says of the lifetime, and what only
 * a create or the server knows (id, owner, secrets, times), kept from the old state.
 */
export function updatedState(olds: AccessTokenState, news: AccessTokenInputs, answer?: ModifiedToken): AccessTokenState {
  const { tokenId, userId, userName, accessToken, refreshToken, sealedPair, secretFingerprint, secretKnown, createdAt, accessTokenExpiresAt, refreshTokenExpiresAt, rotatedAt, previous } = olds;
  const fixed = isFixedScope(news.scope);
  return dropUndefined({
    ...news,
    __inputs: declaredOf(news),
    tokenId,
    userId,
    userName: news.userName ?? userName,
    accessToken,
    refreshToken,
    sealedPair,
    secretFingerprint,
    secretKnown,
    createdAt,
    accessTokenExpiresAt,
    refreshTokenExpiresAt,
    rotatedAt,
    previous,
    renewableUntil: fixed ? undefined : epochText(answer?.renewableUntilTimestamp) ?? news.renewableUntil ?? olds.renewableUntil,
    expiresAt: fixed ? epochText(answer?.tokenExpiryTimestamp) ?? news.expiresAt ?? olds.expiresAt : undefined,
  });
}

/**
 * The program that declares a token as it is (for `pulumi import`): its name, scope, endpoints,
 * allow list and owner, each left out where its default says the same. Lifetimes are left out:
 * diff keeps the dates a token has while the program declares none, and the program may add a
 * rolling lifetime later.
 */
export function importedInputs(state: AccessTokenState): Record<string, unknown> {
  return dropUndefined({
    name: state.name,
    scope: state.scope === "All" ? undefined : state.scope,
    apiEndpoints: state.apiEndpoints?.length ? state.apiEndpoints : undefined,
    ipAllowlist: state.ipAllowlist?.length ? state.ipAllowlist : undefined,
    userId: state.userId,
  });
}

/** Inputs whose outputs of the same name say something else (the resolved owner, the effective end). */
const OWN_INPUTS = ["userId", "userName", "renewableUntil", "expiresAt"] as const;
export type DeclaredInputs = Partial<Pick<AccessTokenInputs, (typeof OWN_INPUTS)[number]>>;

/** The key under which state keeps them (hidden from the preview's display: a `__` key). */
export const DECLARED = "__inputs" satisfies keyof AccessTokenState;

/** The program's own values of those inputs, kept in state (hidden, `__`) for read to give back. */
export function declaredOf(inputs: AccessTokenInputs): DeclaredInputs {
  return dropUndefined(Object.fromEntries(OWN_INPUTS.map((k) => [k, inputs[k]])) as DeclaredInputs);
}

/**
 * The inputs after a refresh, for the engine to diff the program against (pulumi#21315): the
 * server's view of every field a person can change in Command Center, so that each field changed
 * by hand shows in the preview as `old => new`, and the program's own values of the rest. A
 * rolling lifetime keeps its last resolved end (check extends from it, and diff puts back a date
 * changed by hand); a declared date is the server's; Commvault's default stays undeclared.
 * State written before this existed has no record of the declared owner and date: those fall
 * back to the outputs' lifetime (safe for a passed declared date, rulings 1) and to no owner.
 */
export function inputsAfterRead(state: AccessTokenState, inputKeys: readonly string[]): Record<string, unknown> {
  const raw = state as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of inputKeys) if (!(OWN_INPUTS as readonly string[]).includes(key) && raw[key] !== undefined) out[key] = raw[key];
  const own = state.__inputs;
  const field = isFixedScope(state.scope) ? "expiresAt" : "renewableUntil";
  if (own === undefined) {
    if (state[field] !== undefined) out[field] = state[field];
    return out;
  }
  // Hidden from the preview's display (a `__` key): check reads it to tell an unchanged declared
  // date from a new one, when the server's date stands beside it here.
  out.__inputs = own;
  if (own.userId !== undefined) out.userId = own.userId;
  if (own.userName !== undefined) out.userName = own.userName;
  const rolling = isFixedScope(state.scope) ? state.expiresIn : state.renewableFor;
  if (own[field] !== undefined) out[field] = rolling !== undefined ? own[field] : state[field];
  return out;
}
