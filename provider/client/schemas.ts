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
const ErrorObject = z.object({ errorCode: z.number().int(), errorMessage: z.string().optional() }).loose();

export const LoginResponse = z.object({
  token: z.string().min(1),
  userName: z.string().optional(),
  userId: z.number().int().optional(),
}).loose();

export const LoginFailure = z.object({
  errList: z.array(z.object({ errorCode: z.number().int().optional(), errLogMessage: z.string().optional() }).loose()).min(1),
}).loose();

export const WhoAmIResponse = z.object({ userId: z.number().int(), userName: z.string() }).loose();

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

export const ListResponse = z.object({ error: ErrorObject.optional(), tokens: z.array(TokenListEntry).default([]) }).loose();

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

/** Where an application error may hide in an HTTP 200 (contract section 6). */
export function applicationError(body: unknown): { errorCode: number; errorMessage?: string } | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const nested = ErrorObject.safeParse(b.error);
  if (nested.success && nested.data.errorCode !== 0) return nested.data;
  const flat = ErrorObject.safeParse(b);
  if (flat.success && flat.data.errorCode !== 0) return flat.data;
  return undefined;
}

/** Names the fields that failed, never their values (a create response carries secrets). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

/** Login answers 200 either way: a session token, or an errList. */
export const LoginBody = z.union([LoginResponse, LoginFailure]);

/** Delete answers a flat `{errorCode: 0}`; anything non-zero was already turned into an error. */
export const applicationFree = z.unknown();
