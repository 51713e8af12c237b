import { randomBytes, randomUUID } from "node:crypto";
import { requireSession, type Caller } from "./auth";
import type { Clock } from "./clock";
import { ERRORS, FIXED_SCOPES, LIMITS, TOKEN_TYPES } from "./contract";
import { fail, ok, type ApiRequest, type ApiResponse } from "./http";
import { invalidEntries } from "./ip";
import type { Store, TokenRecord, UserRecord } from "./store";
import { asBody, optionalInt, optionalStringArray, optionalTokenType, tokenTypeName, type Body } from "./validate";

/** The section-6 variants a real server may show; each is a switch so the client is tested against it. */
export interface Variants {
  /** Application errors of create/modify/list/delete/renew answer HTTP 200 with a non-zero errorCode. */
  errorsAsHttp200: boolean;
  /** `tokenType` is returned as its name (`ALL`, `CUSTOM`, ...) rather than an integer. */
  tokenTypeAsNames: boolean;
  /** List output leaves `allowedIPs` out. */
  omitAllowedIPsInList: boolean;
  /** Answers carry no `Date` header (a front end set not to send one); else it gives the emulator's clock. */
  omitDateHeader: boolean;
}

export interface Context {
  store: Store;
  clock: Clock;
  variants: Variants;
}

const isFixed = (tokenType: number) => FIXED_SCOPES.has(tokenType);

function typeOut(ctx: Context, n: number): number | string {
  return ctx.variants.tokenTypeAsNames ? tokenTypeName(n) : n;
}

/** Who may act on `target`'s tokens: the owner, or an administrator. */
function requireRightsOver(caller: Caller, target: number): void {
  if (caller.user.userId !== target && !caller.user.admin) throw fail.of(403, ERRORS.missingPermission);
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.trim().length === 0 || name.length > LIMITS.tokenNameMax) {
    throw fail.validation(`tokenName must be 1 to ${LIMITS.tokenNameMax} characters`);
  }
  return name;
}

function checkNameFree(ctx: Context, userId: number, name: string, except?: number): void {
  const taken = ctx.store.data.tokens.some(
    (t) => t.userId === userId && t.accessTokenId !== except && t.tokenName.toLowerCase() === name.toLowerCase(),
  );
  if (taken) throw fail.of(400, ERRORS.nameTaken);
}

function checkAllowedIPs(body: Body): string[] | undefined {
  const ips = optionalStringArray(body, "allowedIPs");
  if (!ips) return undefined;
  const bad = invalidEntries(ips);
  if (bad.length) throw fail.validation(`allowedIPs has malformed entries: ${bad.join(", ")}`);
  return ips;
}

function checkEndpoints(body: Body): string[] | undefined {
  const eps = optionalStringArray(body, "apiEndpoints");
  if (!eps) return undefined;
  const bad = eps.filter((e) => !e.startsWith("/") || e.length < 2);
  if (bad.length) throw fail.validation(`apiEndpoints entries must be API paths starting with "/": ${bad.join(", ")}`);
  return eps;
}

/**
 * The lifetime a request asks for, validated against the scope's default and bound. Only the
 * field of the token's own scope is read: the other scope's field is ignored, on create and
 * modify, unread and unchecked, as Commvault's Python SDK documents and relies on (contract
 * section 4), so the token keeps the lifetime of its own scope.
 */
function lifetime(tokenType: number, body: Body, now: number, creating: boolean): { renewableUntil?: number; expiry?: number } {
  if (isFixed(tokenType)) {
    const expiry = optionalInt(body, "tokenExpiryTimestamp");
    const scim = tokenType === TOKEN_TYPES.MS_SCIM;
    const [def, max] = scim ? [LIMITS.scimDefault, LIMITS.scimMax] : [LIMITS.oneTouchDefault, LIMITS.oneTouchMax];
    if (expiry === undefined || expiry === 0) return creating ? { expiry: now + def } : {};
    if (expiry <= now) throw fail.validation("tokenExpiryTimestamp must be in the future");
    if (expiry > now + max) throw fail.validation(`tokenExpiryTimestamp may be at most ${max / 86400} days from now`);
    return { expiry };
  }
  const renewableUntil = optionalInt(body, "renewableUntilTimestamp");
  if (renewableUntil === undefined || renewableUntil === 0) {
    return creating ? { renewableUntil: now + LIMITS.renewableDefault } : {};
  }
  if (renewableUntil <= now) throw fail.validation("renewableUntilTimestamp must be in the future");
  if (renewableUntil > now + LIMITS.renewableMax) {
    throw fail.validation(`renewableUntilTimestamp may be at most ${LIMITS.renewableMax / 86400} days from now`);
  }
  return { renewableUntil };
}

function newSecrets(now: number, renewable: boolean, expiry: number) {
  const accessToken = randomBytes(36).toString("hex");
  if (!renewable) return { accessToken, tokenExpiryTimestamp: expiry };
  const tokenExpiryTimestamp = now + LIMITS.accessTokenTtl;
  return {
    accessToken,
    refreshToken: randomUUID().toUpperCase(),
    tokenExpiryTimestamp,
    refreshTokenExpiryTimestamp: tokenExpiryTimestamp + LIMITS.refreshWindow,
  };
}

function targetUser(ctx: Context, caller: Caller, requested: number | undefined): UserRecord {
  if (requested === undefined || requested === caller.user.userId) return caller.user;
  const target = ctx.store.user(requested);
  if (!caller.user.admin) throw fail.of(403, ERRORS.missingPermission);
  if (!target) throw fail.of(404, ERRORS.userNotFound);
  return target;
}

export function createToken(ctx: Context, caller: Caller, req: ApiRequest): ApiResponse {
  requireSession(caller);
  const body = asBody(req.body);
  const requested = optionalInt(body, "userId");
  if (requested !== undefined && requested !== caller.user.userId) {
    const target = ctx.store.user(requested);
    if (target?.userType === "user") throw fail.of(403, ERRORS.createForOtherUser);
  }
  const owner = targetUser(ctx, caller, requested);
  const tokenName = checkName(body.tokenName);
  const tokenType = optionalTokenType(body) ?? TOKEN_TYPES.ALL;
  const now = ctx.clock.now();
  const life = lifetime(tokenType, body, now, true);
  const endpoints = checkEndpoints(body) ?? [];
  if (tokenType === TOKEN_TYPES.CUSTOM && endpoints.length === 0) {
    throw fail.validation("apiEndpoints must list at least one API path for a Custom token");
  }
  if (tokenType !== TOKEN_TYPES.CUSTOM && endpoints.length > 0) {
    throw fail.validation("apiEndpoints is only valid for Custom tokens");
  }
  const allowedIPs = checkAllowedIPs(body) ?? [];
  checkNameFree(ctx, owner.userId, tokenName);

  const renewable = !isFixed(tokenType);
  const record: TokenRecord = {
    accessTokenId: ctx.store.data.nextTokenId++,
    userId: owner.userId,
    tokenName,
    tokenType,
    apiEndpoints: endpoints,
    allowedIPs,
    createdTime: now,
    lastUsedTime: 0,
    renewableUntilTimestamp: life.renewableUntil,
    ...newSecrets(now, renewable, life.expiry ?? 0),
    chain: [],
  };
  ctx.store.data.tokens.push(record);
  ctx.store.save();
  return ok({
    error: { errorCode: 0, errorMessage: "" },
    tokenInfo: {
      accessTokenId: record.accessTokenId,
      tokenName: record.tokenName,
      userId: record.userId,
      tokenType: typeOut(ctx, record.tokenType),
      accessToken: record.accessToken,
      ...(renewable
        ? {
            refreshToken: record.refreshToken,
            refreshTokenExpiryTimestamp: record.refreshTokenExpiryTimestamp,
            renewableUntilTimestamp: record.renewableUntilTimestamp,
          }
        : {}),
      tokenExpiryTimestamp: record.tokenExpiryTimestamp,
    },
  });
}

export function listTokens(ctx: Context, caller: Caller, req: ApiRequest): ApiResponse {
  const q = req.query.get("userId") ?? req.query.get("userid");
  if (q !== null && !/^\d+$/.test(q)) throw fail.validation("userId must be an integer");
  const owner = targetUser(ctx, caller, q === null ? undefined : Number(q));
  const tokens = ctx.store.data.tokens
    .filter((t) => t.userId === owner.userId)
    .map((t) => ({
      accessTokenId: t.accessTokenId,
      userId: t.userId,
      tokenName: t.tokenName,
      createdTime: t.createdTime,
      tokenType: typeOut(ctx, t.tokenType),
      ...(t.renewableUntilTimestamp !== undefined ? { renewableUntilTimestamp: t.renewableUntilTimestamp } : {}),
      tokenExpiryTimestamp: t.tokenExpiryTimestamp,
      lastUsedTime: t.lastUsedTime,
      apiEndpoints: t.apiEndpoints,
      ...(ctx.variants.omitAllowedIPsInList ? {} : { allowedIPs: t.allowedIPs }),
    }));
  return ok({ error: { errorCode: 0, errorMessage: "" }, tokens });
}

function tokenById(ctx: Context, caller: Caller, idText: string): TokenRecord {
  const token = /^\d+$/.test(idText) ? ctx.store.token(Number(idText)) : undefined;
  if (!token) throw fail.of(404, ERRORS.notFound);
  requireRightsOver(caller, token.userId);
  return token;
}

export function modifyToken(ctx: Context, caller: Caller, req: ApiRequest, idText: string): ApiResponse {
  requireSession(caller);
  const token = tokenById(ctx, caller, idText);
  const body = asBody(req.body);
  const now = ctx.clock.now();

  const requestedType = optionalTokenType(body);
  const tokenType = requestedType ?? token.tokenType;
  if (tokenType !== token.tokenType && (isFixed(token.tokenType) || isFixed(tokenType))) {
    throw fail.of(400, ERRORS.scopeChange);
  }
  const tokenName = body.tokenName === undefined ? undefined : checkName(body.tokenName);
  if (tokenName !== undefined) checkNameFree(ctx, token.userId, tokenName, token.accessTokenId);
  const life = lifetime(tokenType, body, now, false);
  const requestedEndpoints = checkEndpoints(body);
  let endpoints = requestedEndpoints ?? (tokenType === TOKEN_TYPES.CUSTOM ? token.apiEndpoints : []);
  if (tokenType === TOKEN_TYPES.CUSTOM && endpoints.length === 0) {
    throw fail.validation("apiEndpoints must list at least one API path for a Custom token");
  }
  if (tokenType !== TOKEN_TYPES.CUSTOM) {
    if ((requestedEndpoints?.length ?? 0) > 0) throw fail.validation("apiEndpoints is only valid for Custom tokens");
    endpoints = [];
  }
  const allowedIPs = checkAllowedIPs(body);

  // Every check has passed: apply all of it, or nothing.
  token.tokenType = tokenType;
  if (tokenName !== undefined) token.tokenName = tokenName;
  if (life.renewableUntil !== undefined) token.renewableUntilTimestamp = life.renewableUntil;
  if (life.expiry !== undefined) token.tokenExpiryTimestamp = life.expiry;
  token.apiEndpoints = endpoints;
  if (allowedIPs !== undefined) token.allowedIPs = allowedIPs;
  ctx.store.save();
  return ok({
    error: { errorCode: 0, errorMessage: "" },
    tokenInfo: {
      accessTokenId: token.accessTokenId,
      tokenName: token.tokenName,
      tokenType: typeOut(ctx, token.tokenType),
      ...(token.renewableUntilTimestamp !== undefined ? { renewableUntilTimestamp: token.renewableUntilTimestamp } : {}),
      tokenExpiryTimestamp: token.tokenExpiryTimestamp,
    },
  });
}

export function deleteToken(ctx: Context, caller: Caller, idText: string): ApiResponse {
  requireSession(caller);
  const token = tokenById(ctx, caller, idText);
  ctx.store.removeToken(token.accessTokenId);
  ctx.store.save();
  return ok({ errorCode: 0, errorMessage: "" });
}

/** Renew is authenticated by the pair in its body, not by a header. */
export function renewToken(ctx: Context, req: ApiRequest): ApiResponse {
  const body = asBody(req.body);
  const accessToken = typeof body.accessToken === "string" ? body.accessToken : "";
  const refreshToken = typeof body.refreshToken === "string" ? body.refreshToken : "";
  const now = ctx.clock.now();

  const replayed = ctx.store.data.tokens.find((t) =>
    t.chain.some((p) => p.accessToken === accessToken && p.refreshToken === refreshToken),
  );
  if (replayed) {
    ctx.store.removeToken(replayed.accessTokenId);
    ctx.store.save();
    throw fail.of(400, ERRORS.replay);
  }
  const token = ctx.store.data.tokens.find((t) => t.accessToken === accessToken);
  if (!token) throw fail.of(404, ERRORS.notFound);
  if (isFixed(token.tokenType)) throw fail.of(400, ERRORS.renewNotSupported);
  if (token.refreshToken !== refreshToken) throw fail.of(400, ERRORS.badRefreshToken);
  if (now > (token.refreshTokenExpiryTimestamp ?? 0) || now > (token.renewableUntilTimestamp ?? 0)) {
    throw fail.of(400, ERRORS.renewTooLate);
  }
  token.chain.push({ accessToken: token.accessToken, refreshToken: token.refreshToken });
  Object.assign(token, newSecrets(now, true, 0));
  ctx.store.save();
  return ok({
    accessTokenId: token.accessTokenId,
    tokenName: token.tokenName,
    userId: token.userId,
    tokenType: typeOut(ctx, token.tokenType),
    accessToken: token.accessToken,
    refreshToken: token.refreshToken,
    tokenExpiryTimestamp: token.tokenExpiryTimestamp,
    refreshTokenExpiryTimestamp: token.refreshTokenExpiryTimestamp,
    renewableUntilTimestamp: token.renewableUntilTimestamp,
  });
}

