import { randomBytes } from "node:crypto";
import { authenticate, credentialOf } from "./auth";
import type { Clock } from "./clock";
import { ERRORS, LIMITS, LOGOUT_UNKNOWN_TOKEN, SESSION_RENEWAL } from "./contract";
import { ok, type ApiRequest, type ApiResponse } from "./http";
import type { SessionRecord, Store } from "./store";
import { asBody, optionalInt } from "./validate";

/** Session tokens travel as `QSDK <hex>`; the store keeps the hex. */
const bareToken = (token: string) => token.trim().replace(/^QSDK\s+/i, "");

function newSession(store: Store, clock: Clock, userId: number, timeoutMinutes: number, deviceId: string | undefined): string {
  const token = randomBytes(48).toString("hex");
  const session: SessionRecord = { token, userId, timeoutMinutes, lastUsed: clock.now() };
  if (deviceId !== undefined) session.deviceId = deviceId;
  store.data.sessions.push(session);
  return token;
}

const deviceIdOf = (body: Record<string, unknown>) => (typeof body.deviceId === "string" ? body.deviceId : undefined);

export function login(store: Store, clock: Clock, req: ApiRequest): ApiResponse {
  const body = asBody(req.body);
  const username = typeof body.username === "string" ? body.username : "";
  const password = typeof body.password === "string" ? Buffer.from(body.password, "base64").toString("utf8") : undefined;
  const timeout = optionalInt(body, "timeout") ?? LIMITS.sessionTimeoutMinutes;
  const user = store.data.users.find((u) => u.userName.toLowerCase() === username.toLowerCase());
  if (!user || !user.enabled || user.password === undefined || password !== user.password) {
    return ok({ errList: [{ errorCode: ERRORS.loginFailed.code, errLogMessage: ERRORS.loginFailed.message }] });
  }
  const token = newSession(store, clock, user.userId, timeout > 0 ? timeout : LIMITS.sessionTimeoutMinutes, deviceIdOf(body));
  store.save();
  return ok({
    token: `QSDK ${token}`,
    userName: user.userName,
    userGUID: user.userGUID,
    userId: user.userId,
    aliasName: String(user.userId),
    loginAttempts: 0,
    remainingLockTime: 0,
    forcePasswordChange: false,
    isAccountLocked: false,
    providerType: 1,
    ownerOrganization: { providerId: 0, providerDomainName: "Commcell" },
  });
}

/**
 * `POST /Logout`: ends the caller's session (an access token stays valid). A token the server does
 * not know, such as one logged out already, gets Commvault's documented text; an idle session, a
 * dead access token or no token at all get the 401 of every other call.
 */
export function logout(store: Store, clock: Clock, req: ApiRequest): ApiResponse {
  const credential = credentialOf(req.headers);
  if (credential && !store.data.sessions.some((s) => s.token === credential) && !store.data.tokens.some((t) => t.accessToken === credential)) {
    return ok(LOGOUT_UNKNOWN_TOKEN);
  }
  const caller = authenticate(store, clock, req);
  if (caller.kind === "session") {
    store.data.sessions = store.data.sessions.filter((s) => s !== caller.session);
    store.save();
  }
  return ok("User logged out");
}

/**
 * `POST /RenewLoginToken {sessionId, deviceId}`, sent by the SDK after a 401 under a QSDK token
 * and so with no valid Authtoken (contract section 2). A live session or one that ended for
 * idleness gets a new token for the same user and ends; a logged-out or unknown one is refused,
 * as HTTP 200 with the error nested where the SDK reads it (`error.errLogMessage`).
 */
export function renewLoginToken(store: Store, clock: Clock, req: ApiRequest): ApiResponse {
  const body = asBody(req.body);
  const sessionId = typeof body.sessionId === "string" ? bareToken(body.sessionId) : "";
  const old = sessionId ? store.data.sessions.find((s) => s.token === sessionId) : undefined;
  const user = old && store.user(old.userId);
  const deviceOk = !SESSION_RENEWAL.matchDeviceId || old?.deviceId === undefined || old.deviceId === deviceIdOf(body);
  if (!old || !user?.enabled || !deviceOk) {
    const { code, message } = ERRORS.sessionNotRenewable;
    return ok({ error: { errorCode: code, errLogMessage: message } });
  }
  store.data.sessions = store.data.sessions.filter((s) => s !== old);
  const token = newSession(store, clock, old.userId, old.timeoutMinutes, old.deviceId);
  store.save();
  return ok({ token: `QSDK ${token}` });
}
