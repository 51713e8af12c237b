import type { IncomingHttpHeaders } from "node:http";
import type { Clock } from "./clock";
import { ERRORS, ONE_TOUCH_ENDPOINTS, TOKEN_TYPES } from "./contract";
import { ApiFailure, fail, type ApiRequest } from "./http";
import { allowed } from "./ip";
import type { SessionRecord, Store, TokenRecord, UserRecord } from "./store";

export type Caller =
  | { kind: "session"; user: UserRecord; session: SessionRecord }
  | { kind: "token"; user: UserRecord; token: TokenRecord };

const denied = () => new ApiFailure(401, ERRORS.accessDenied.code, ERRORS.accessDenied.message);

/** The four accepted forms: `Authtoken: QSDK x`, `Authtoken: x`, `Authtoken: Bearer x`, `Authorization: Bearer x`. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const authtoken = headers["authtoken"];
  const raw = typeof authtoken === "string" && authtoken.trim() ? authtoken : undefined;
  const authz = typeof headers.authorization === "string" ? headers.authorization : undefined;
  if (raw) return raw.trim().replace(/^(QSDK|Bearer)\s+/i, "");
  if (authz && /^Bearer\s+/i.test(authz)) return authz.replace(/^Bearer\s+/i, "").trim();
  return undefined;
}

/** The SDK's `POST /WhoAmI` and the newer `GET /v2/WhoAmI` (contract section 2). */
const WHO_AM_I_PATHS: ReadonlySet<string> = new Set(["/whoami", "/v2/whoami"]);

/** True when a session has gone unused for longer than its timeout. */
export function idle(session: SessionRecord, now: number): boolean {
  return now - session.lastUsed > session.timeoutMinutes * 60;
}

/** True when a token's life is over: its own expiry, or for renewable scopes the renewable-until. */
export function expired(token: TokenRecord, now: number): boolean {
  if (now > token.tokenExpiryTimestamp) return true;
  return token.renewableUntilTimestamp !== undefined && now > token.renewableUntilTimestamp;
}

function endpointsFor(token: TokenRecord): string[] | undefined {
  if (token.tokenType === TOKEN_TYPES.CUSTOM) return token.apiEndpoints;
  if (token.tokenType === TOKEN_TYPES.OneTouch) return ONE_TOUCH_ENDPOINTS;
  return undefined;
}

function withinEndpoints(endpoints: string[], path: string): boolean {
  // Documented as a plain prefix: "/plan" covers every plan API.
  return endpoints.some((e) => path.startsWith(e.toLowerCase().replace(/\/+$/, "")));
}

/** Resolves the caller of an authenticated call, or throws the 401/403 the contract names. */
export function authenticate(store: Store, clock: Clock, req: ApiRequest): Caller {
  const credential = credentialOf(req.headers);
  if (!credential) throw denied();
  const now = clock.now();

  const session = store.data.sessions.find((s) => s.token === credential);
  if (session) {
    // An idle session stays in the store, refused, so that RenewLoginToken can still renew it.
    if (idle(session, now)) throw denied();
    const user = store.user(session.userId);
    if (!user?.enabled) throw denied();
    session.lastUsed = now;
    return { kind: "session", user, session };
  }

  const token = store.data.tokens.find((t) => t.accessToken === credential);
  if (!token || expired(token, now) || !allowed(token.allowedIPs, req.remote)) throw denied();
  const user = store.user(token.userId);
  if (!user?.enabled) throw denied();
  const endpoints = endpointsFor(token);
  // WhoAmI answers any valid token so that callers can test a token without knowing its scope.
  if (endpoints && !WHO_AM_I_PATHS.has(req.path) && !withinEndpoints(endpoints, req.path)) {
    throw new ApiFailure(403, ERRORS.accessDenied.code, ERRORS.accessDenied.message);
  }
  token.lastUsedTime = now;
  return { kind: "token", user, token };
}

/** Create, modify and delete need a session: an access token can never manage access tokens. */
export function requireSession(caller: Caller): void {
  if (caller.kind === "token") throw fail.of(403, ERRORS.tokenWithToken);
}
