import type { AccessTokenInputs } from "./inputs";

/**
 * What the provider keeps in state: the canonical inputs, the server's view of the token, and
 * its secrets (sealed in the engine's secret envelope by each door: the dynamic door's
 * `__secrets`, the plugin's accessToken and refreshToken).
 */
export interface AccessTokenState extends Omit<AccessTokenInputs, "userId"> {
  /**
   * The program's own owner and lifetime inputs, which the outputs of those names resolve (see
   * mapping.ts). The plugin keeps it out of its state and rebuilds it from the stored inputs.
   */
  __inputs?: Partial<Pick<AccessTokenInputs, "userId" | "userName" | "renewableUntil" | "expiresAt">>;
  /** Commvault's accessTokenId; absent only when a create ended without knowing whether it made one. */
  tokenId?: number;
  /** The owner, resolved: a given userName or the logged-in user becomes an id. */
  userId: number;
  /** The owner's name, resolved. */
  userName?: string;
  accessToken?: string;
  refreshToken?: string;
  /** With sealTo: the pair, age-encrypted to those recipients (ASCII armor); accessToken and refreshToken are then absent. */
  sealedPair?: string;
  /** With sealTo: the first 16 hex digits of SHA-256 over the access token, to correlate a consumer's secret; it cannot recover it. */
  secretFingerprint?: string;
  /**
   * false for a token taken over by `pulumi import`: Commvault shows a secret only in the answer
   * to its create, so state holds no accessToken or refreshToken. Absent for tokens made here.
   */
  secretKnown?: boolean;
  createdAt?: string;
  /** When the current access token stops working (All/Custom/Hyperscale: 30 minutes after issue). */
  accessTokenExpiresAt?: string;
  refreshTokenExpiresAt?: string;
  /**
   * Set when a create could not get its token's secret (answers lost, or a late commit): the
   * resource is kept in state so that the next `up` replaces it, and nothing is orphaned.
   */
  pendingRecreate?: string;
  /** When that create sent its last POST (machine time, epoch ms): a late commit is looked for until this plus the wait a create allows. */
  pendingSince?: number;
  /** The API base the token lives on, as its settings named it when state was last written (not a credential). */
  serverUrl?: string;
  /** When the current token was issued by a rotation. */
  rotatedAt?: string;
  /** The token a rotation kept aside for its consumers, until `retireAfter`; never its secret. */
  previous?: PreviousToken;
  /**
   * Set when an update left the token as it was (a passed declared date): the outputs then hold
   * the server's fields while the engine stores the program's inputs, so every read gives the
   * server's inputs back (drift shows field by field) until an update writes the program's values.
   */
  __unsynced?: true;
}

export interface PreviousToken {
  tokenId: number;
  name: string;
  generation: number;
  retireAfter: string;
}

/**
 * The resource id: `<userId>:<accessTokenId>`. Only `pulumi import` would parse it (rulings 6):
 * read, update and delete use the state's tokenId and userId.
 */
export function resourceId(userId: number, tokenId: number | undefined): string {
  return `${userId}:${tokenId ?? "pending"}`;
}

export function parseResourceId(id: string): { userId: number; tokenId: number } {
  const m = /^(\d+):(\d+)$/.exec(id);
  if (!m) throw new Error(`"${id}" is not an AccessToken id; expected <userId>:<accessTokenId>, e.g. 21:104`);
  return { userId: Number(m[1]), tokenId: Number(m[2]) };
}
