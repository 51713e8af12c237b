import type { AccessTokenInputs } from "./inputs";

/**
 * What the provider keeps in state: the canonical inputs, the server's view of the token, and
 * its secrets (marked secret by the SDK through additionalSecretOutputs).
 */
export interface AccessTokenState extends Omit<AccessTokenInputs, "userId"> {
  tokenId: number;
  /** The owner, resolved: a given userName or the logged-in user becomes an id. */
  userId: number;
  /** The owner's name, resolved. */
  userName?: string;
  accessToken?: string;
  refreshToken?: string;
  createdAt?: string;
  /** When the current access token stops working (All/Custom/Hyperscale: 30 minutes after issue). */
  accessTokenExpiresAt?: string;
  refreshTokenExpiresAt?: string;
}

/** The resource id: `<userId>:<accessTokenId>`, so that read knows whose list to look in. */
export function resourceId(userId: number, tokenId: number): string {
  return `${userId}:${tokenId}`;
}

export function parseResourceId(id: string): { userId: number; tokenId: number } {
  const m = /^(\d+):(\d+)$/.exec(id);
  if (!m) throw new Error(`"${id}" is not an AccessToken id; expected <userId>:<accessTokenId>, e.g. 21:104`);
  return { userId: Number(m[1]), tokenId: Number(m[2]) };
}
