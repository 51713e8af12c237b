// Every choice the emulator makes where the public material is silent lives here, so that it
// can change in one place when a real CommServe answers differently. See
// ../shared/spec/commvault-api-contract.md (binding) and commvault-api-reference.md (evidence).

export const DAY = 86_400;

export const LIMITS = {
  accessTokenTtl: 30 * 60,
  refreshWindow: 14 * DAY,
  renewableDefault: 90 * DAY,
  renewableMax: 365 * DAY,
  scimDefault: 30 * DAY,
  scimMax: 365 * DAY,
  oneTouchDefault: 7 * DAY,
  oneTouchMax: 14 * DAY,
  sessionTimeoutMinutes: 30,
  tokenNameMax: 255,
} as const;

/** tokenType integers and the names the server also accepts on input. */
export const TOKEN_TYPES = {
  DEFAULT: 0,
  MS_SCIM: 1,
  ALL: 2,
  CUSTOM: 3,
  OneTouch: 4,
  Hyperscale: 5,
} as const;
export type TokenType = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES];

/** Scopes whose life is `tokenExpiryTimestamp` and that never change scope. */
export const FIXED_SCOPES: ReadonlySet<number> = new Set([TOKEN_TYPES.MS_SCIM, TOKEN_TYPES.OneTouch]);

/** What a 1-Touch token may call (documented list); Custom tokens use their own endpoints. */
export const ONE_TOUCH_ENDPOINTS = ["/client", "/mediaagent", "/clientgroup", "/v4/servergroup", "/firewallsummary"];

/** Error codes are undocumented; these are placeholders, matched by tests on the message. */
export const ERRORS = {
  accessDenied: { code: 5, message: "Access denied" },
  loginFailed: { code: 1116, message: "Invalid Username or Password" },
  tokenWithToken: { code: 1007, message: "Access token creation not allowed using another access token" },
  createForOtherUser: { code: 1008, message: "You cannot create an access token for another user" },
  missingPermission: {
    code: 1009,
    message: "User does not have the required permission: Administrative Management or User Management",
  },
  userNotFound: { code: 1010, message: "User not found" },
  nameTaken: { code: 1011, message: "Token name already present" },
  scopeChange: { code: 1012, message: "Scope cannot be changed for this access token" },
  notFound: { code: 1013, message: "Access token not found" },
  renewTooLate: { code: 1014, message: "Renew request placed after the permissible time limit" },
  renewNotSupported: { code: 1015, message: "Renew is not supported for this token type" },
  badRefreshToken: { code: 1016, message: "Invalid refresh token" },
  replay: { code: 1017, message: "An older access token was used to renew; the token has been revoked" },
  validation: { code: 1018 },
  badJson: { code: 1019, message: "Request body is not valid JSON" },
  noRoute: { code: 1020, message: "The requested API was not found" },
  rateLimited: { code: 1021, message: "Rate limit exceeded" },
  internal: { code: 1022, message: "Internal server error" },
  // RenewLoginToken answers this as HTTP 200 `{error: {errorCode, errLogMessage}}` (contract section 2).
  sessionNotRenewable: { code: 1023, message: "Invalid session: it was logged out or never existed; log in again" },
} as const;

/**
 * RenewLoginToken (contract section 2). The contract fixes that a session ended for idleness
 * renews and that a logged-out or unknown one does not; the rest is ours.
 */
export const SESSION_RENEWAL = {
  /** Whether `deviceId` must equal the one given at login (the SDK always sends the same). */
  matchDeviceId: false,
} as const;

/**
 * `POST /Logout` under a token that is neither a session nor an access token (logged out before,
 * or never issued): HTTP 200 with this text, as Commvault documents it (reference D14). The SDK's
 * logout reads a non-401 answer as "already logged out"; a 401 would send it to RenewLoginToken,
 * whose refusal it reports as a failed login.
 */
export const LOGOUT_UNKNOWN_TOKEN = "Invalid authorization token provided.";

/**
 * The body of `GET {base}` (contract section 1). Undocumented: Commvault's Python SDK only
 * checks for HTTP 200 before it logs in.
 */
export const SERVICE_ROOT_BODY = {} as const;

/** Seed users. Ids are spread apart so that a mix-up of user and token ids cannot pass silently. */
export const SEED_USERS = [
  { userId: 1, userName: "admin", userType: "user", admin: true, passwordEnv: "COMMVAULT_EMULATOR_ADMIN_PASSWORD", defaultPassword: "admin-password" },
  { userId: 11, userName: "alice", userType: "user", admin: false, passwordEnv: "COMMVAULT_EMULATOR_ALICE_PASSWORD", defaultPassword: "alice-password" },
  { userId: 21, userName: "svc-backup", userType: "service", admin: false },
  { userId: 22, userName: "svc-reporting", userType: "service", admin: false },
] as const;

export const FIRST_TOKEN_ID = 101;
