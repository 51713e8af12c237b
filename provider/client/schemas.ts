import { z } from "zod";

/** Scope integers of the contract; the server may also send the names (contract section 6). */
const TYPE_NAMES: Record<string, number> = { default: 2, ms_scim: 1, all: 2, custom: 3, onetouch: 4, hyperscale: 5 };

export const TokenTypeWire = z.union([z.number().int(), z.string()]).transform((v, ctx) => {
  const n = typeof v === "number" ? v : /^\d+$/.test(v) ? Number(v) : TYPE_NAMES[v.toLowerCase()];
  if (n === undefined || n < 0 || n > 5) {
    ctx.addIssue({ code: "custom", message: "tokenType is not a known scope" });
    return z.NEVER;
  }
  return n === 0 ? 2 : n;
});

const epoch = z.number().int();
/** A numeric errorCode; a server that quotes it ("1013") is read the same. */
const ErrorCode = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
const ErrorObject = z.object({ errorCode: ErrorCode, errorMessage: z.string().optional() }).loose();
/** RenewLoginToken and Login put the text in `errLogMessage`; other Commvault APIs use `errorString`. */
const ErrorFields = z
  .object({ errorCode: ErrorCode, errorMessage: z.string().optional(), errLogMessage: z.string().optional(), errorString: z.string().optional() })
  .loose()
  .transform((e) => ({ errorCode: e.errorCode, errorMessage: e.errorMessage || e.errLogMessage || e.errorString || undefined }));

export const LoginResponse = z.object({
  token: z.string().min(1),
  userName: z.string().optional(),
  userId: z.number().int().optional(),
}).loose();

export const LoginFailure = z.object({
  errList: z.array(z.object({ errorCode: z.number().int().optional(), errLogMessage: z.string().optional() }).loose()).min(1),
}).loose();

const UserRef = z.object({ userId: z.number().int(), userName: z.string() }).loose();

/** `{user: {userId, userName}, userId, userName}` (contract section 2); either half is enough. */
export const WhoAmIResponse = z
  .union([UserRef, z.object({ user: UserRef }).loose().transform((b) => b.user)])
  .transform((u) => ({ userId: u.userId, userName: u.userName }));

export const UsersResponse = z.object({
  users: z.array(
    z.object({
      userEntity: z.object({ userId: z.number().int(), userName: z.string() }).loose(),
      userType: z.string().optional(),
      enabled: z.boolean().optional(),
    }).loose(),
  ).default([]),
}).loose();

export const TokenListEntry = z.object({
  accessTokenId: z.number().int(),
  userId: z.number().int(),
  tokenName: z.string(),
  tokenType: TokenTypeWire,
  createdTime: epoch.optional(),
  lastUsedTime: epoch.optional(),
  renewableUntilTimestamp: epoch.optional(),
  tokenExpiryTimestamp: epoch.optional(),
  apiEndpoints: z.array(z.string()).optional(),
  /** Absent means unknown (contract section 6), not empty. */
  allowedIPs: z.array(z.string()).optional(),
}).loose();
export type TokenListEntry = z.output<typeof TokenListEntry>;

/**
 * A list answer. A missing `tokens` reads as "none" only when the answer says it succeeded
 * (errorCode 0, at the top or nested): a refusal in a shape we do not know must never read as
 * "no tokens", which would make the provider drop live tokens from state.
 */
export const ListResponse = z
  .object({ error: ErrorObject.optional(), errorCode: ErrorCode.optional(), tokens: z.array(TokenListEntry).optional() })
  .loose()
  .transform((b, ctx) => {
    if (b.tokens) return { tokens: b.tokens };
    if (b.error?.errorCode === 0 || b.errorCode === 0) return { tokens: [] as TokenListEntry[] };
    ctx.addIssue({ code: "custom", path: ["tokens"], message: "missing, and the answer does not say the call succeeded" });
    return z.NEVER;
  });

export const CreatedToken = z.object({
  accessTokenId: z.number().int(),
  tokenName: z.string(),
  userId: z.number().int(),
  tokenType: TokenTypeWire,
  accessToken: z.string().min(1),
  refreshToken: z.string().optional(),
  tokenExpiryTimestamp: epoch.optional(),
  refreshTokenExpiryTimestamp: epoch.optional(),
  renewableUntilTimestamp: epoch.optional(),
}).loose();
export type CreatedToken = z.output<typeof CreatedToken>;

export const CreateResponse = z.object({ error: ErrorObject.optional(), tokenInfo: CreatedToken }).loose();

export const ModifiedToken = z.object({
  accessTokenId: z.number().int(),
  tokenName: z.string().optional(),
  tokenType: TokenTypeWire.optional(),
  renewableUntilTimestamp: epoch.optional(),
  tokenExpiryTimestamp: epoch.optional(),
}).loose();
export type ModifiedToken = z.output<typeof ModifiedToken>;

export const ModifyResponse = z.object({ error: ErrorObject.optional(), tokenInfo: ModifiedToken }).loose();

export const RenewResponse = CreatedToken;

export interface ErrorBody {
  errorCode: number;
  errorMessage?: string;
}

/** The error fields a body carries nested under `error`, at the top, and (with `errList`) in `errList[0]`. */
function errorsIn(body: unknown, errList: boolean): ErrorBody[] {
  if (!isJsonObject(body)) return [];
  const b = body as Record<string, unknown>;
  const candidates = [b.error, b, errList && Array.isArray(b.errList) ? b.errList[0] : undefined];
  return candidates.flatMap((c) => {
    const parsed = ErrorFields.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * Where an application error may hide in an HTTP 200 (contract section 6): a non-zero errorCode
 * nested under `error` (create, modify) or at the top (delete, list, renew). Either shape is
 * read on every call.
 */
export function applicationError(body: unknown): ErrorBody | undefined {
  // Not errList: a refused login answers it as HTTP 200, and the login reads it itself.
  return errorsIn(body, false).find((e) => e.errorCode !== 0);
}

/**
 * Commvault's own JSON error answer to an HTTP error status: a body with a numeric errorCode.
 * Anything else (an HTML page, an empty body, JSON without errorCode) was not written by
 * Commvault's API and says nothing about what exists there.
 */
export function commvaultErrorBody(body: unknown): ErrorBody | undefined {
  const found = errorsIn(body, true);
  return found.find((e) => e.errorCode !== 0) ?? found[0];
}

/** True for a parsed JSON object: anything else (text, HTML, an empty body) is not an API answer. */
export function isJsonObject(body: unknown): boolean {
  return typeof body === "object" && body !== null && !Array.isArray(body);
}

/** Names the fields that failed, never their values (a create response carries secrets). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

/** Login answers 200 either way: a session token, or an errList. */
export const LoginBody = z.union([LoginResponse, LoginFailure]);

/** Delete answers a flat `{errorCode: 0}`; anything non-zero was already turned into an error. */
export const applicationFree = z.object({}).loose();
