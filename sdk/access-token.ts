import * as pulumi from "@pulumi/pulumi";

/** Where a token may be used. Scope changes in place only among All, Custom and Hyperscale. */
export type AccessTokenScope = "All" | "Custom" | "Hyperscale" | "MicrosoftSCIM" | "OneTouchRecovery";

export interface AccessTokenArgs {
  /** The token's display name: 1 to 255 characters, unique per owner (case-insensitively). */
  name: pulumi.Input<string>;
  /**
   * All, Custom, Hyperscale, MicrosoftSCIM or OneTouchRecovery. Scope changes in place only among
   * All, Custom and Hyperscale; a change into or out of MicrosoftSCIM or OneTouchRecovery is
   * refused at preview unless replaceOnForbiddenScopeChange is true. Default: All.
   */
  scope?: pulumi.Input<AccessTokenScope>;
  /** API path prefixes the token may call, such as "/client"; required with Custom, refused otherwise. Scopes: Custom. */
  apiEndpoints?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * RFC 3339 time until which the token can be renewed, at most 365 days ahead; a date that has
   * passed is refused when up would send it. Default: Commvault's, 90 days after creation. Scopes:
   * All, Custom, Hyperscale.
   */
  renewableUntil?: pulumi.Input<string>;
  /**
   * RFC 3339 time at which the token expires, at most 365 days ahead for MicrosoftSCIM and 14 for
   * OneTouchRecovery. Default: 30 days (MicrosoftSCIM), 7 days (OneTouchRecovery). Scopes:
   * MicrosoftSCIM, OneTouchRecovery.
   */
  expiresAt?: pulumi.Input<string>;
  /**
   * IPv4/IPv6 addresses, CIDR blocks or a-b ranges allowed to use the token; empty means anywhere.
   * Equal meanings (a host and its /32, IPv6 spellings, host bits, order, duplicates) are no
   * change. Default: empty (anywhere).
   */
  ipAllowlist?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The owner's user id; set userId or userName, not both. An administrator manages tokens of
   * service accounts and other users; nobody creates a token for another person. A new owner
   * replaces the token. Default: the logged-in user.
   */
  userId?: pulumi.Input<number>;
  /**
   * The owner's user name, instead of userId; resolved to a user id at creation, so a later rename
   * of that user is no change. Default: the logged-in user.
   */
  userName?: pulumi.Input<string>;
  /** Allow a scope change Commvault forbids by replacing the token (new id, new secret). Default: false. */
  replaceOnForbiddenScopeChange?: pulumi.Input<boolean>;
  /**
   * A rolling lifetime instead of renewableUntil, such as "90d" (at most "364d"): the token is
   * extended in place (same id, same secret) whenever less than extendWhenLeft is left. Scopes:
   * All, Custom, Hyperscale.
   */
  renewableFor?: pulumi.Input<string>;
  /**
   * A rolling lifetime instead of expiresAt, such as "30d" (at most "364d" for MicrosoftSCIM, "13d"
   * for OneTouchRecovery), extended in place like renewableFor. Scopes: MicrosoftSCIM,
   * OneTouchRecovery.
   */
  expiresIn?: pulumi.Input<string>;
  /** With renewableFor or expiresIn: extend in place when less than this is left, such as "30d". Default: a third of the life, at most 30 days. */
  extendWhenLeft?: pulumi.Input<string>;
  /** Issue a new secret on a schedule, keeping the old token working for an overlap. */
  rotation?: pulumi.Input<AccessTokenRotation>;
  /** Any text: a new value issues a new secret now (a rotation, with the overlap of rotation, default 7 days). */
  rotationTrigger?: pulumi.Input<string>;
  /**
   * The CommServe, by its profile in stack config (commvault:servers.<name>.url, .username,
   * .password as a secret); left out, the default settings. A new server replaces the token. With
   * the plugin, an explicit provider resource per CommServe does the same.
   */
  server?: pulumi.Input<string>;
  /**
   * Take over an existing token at the first up instead of creating one: no POST, no DELETE, at
   * most one PUT. Its secret is not known (secretKnown is false) unless thenRotate issues a new one
   * at once. Inert afterwards.
   */
  adopt?: pulumi.Input<AccessTokenAdopt>;
  /**
   * age recipients (X25519 public keys, `age1...` as `age-keygen -y key.txt` prints them) to seal
   * the token's secret pair to, inside create and rotate: outputs and state then hold only
   * sealedPair (the ciphertext) and secretFingerprint, never accessToken or refreshToken. Changing
   * the recipients issues a new secret (a rotation, with its overlap): a sealed secret cannot be
   * sealed again.
   */
  sealTo?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Which existing token to take over: by id, or the owner's token of the resource's name. */
export interface AccessTokenAdopt {
  tokenId?: pulumi.Input<number>;
  byName?: pulumi.Input<boolean>;
  /** Rotate right after adopting: a new token with a known secret; the adopted one works for the rotation's overlap, then is retired. */
  thenRotate?: pulumi.Input<boolean>;
}

/** When to issue a new secret, in whole days. */
export interface AccessTokenRotation {
  /** Every N days. */
  everyDays?: pulumi.Input<number>;
  /** N days before the end of a rolling lifetime (renewableFor / expiresIn); the new token gets a new life. */
  beforeEndDays?: pulumi.Input<number>;
  /** How long the old token keeps working after a rotation. Default 7; 0 revokes it at once. */
  overlapDays?: pulumi.Input<number>;
}

/** The token a rotation kept aside for its consumers, until it is retired. Never its secret. */
export interface PreviousAccessToken {
  tokenId: number;
  /** Its name while aside: `<name>~g<generation>`. */
  name: string;
  generation: number;
  /** The day from which the next `pulumi up` revokes it. */
  retireAfter: string;
}

/**
 * What the engine stores as `__provider`, in the inputs and in the outputs of every token: the
 * module the dynamic provider host loads (it calls `requireFromString(text).handler()`), here one
 * line that requires the installed package, so that destroy and refresh run the installed code.
 * `pulumi.dynamic.Resource` would serialize the same require wrapped in its closure machinery (250
 * characters, 305 bytes as JSON, twice per token), and the engine rewrites every token's state after
 * each step of a run, so those bytes cost time that grows with the square of the stack's size
 * (docs/benchmarks.md). The path is the one state written by every earlier version holds: it stays.
 */
export const PROVIDER_MODULE = 'exports.handler=()=>require("pulumi-commvault-tokens/provider.js")';

/**
 * The provider keeps the token's two secrets in state as one secret value (provider/lifecycle/
 * dynamic-door.ts), which it returns in the engine's secret envelope itself: no
 * `additionalSecretOutputs` is registered (the engine would store it with every token's state).
 * State written before keeps accessToken and refreshToken apart, each already stored as a secret,
 * and the provider no longer returns either.
 */
const SECRET_PAIR = "__secrets";

interface SecretPair {
  accessToken?: string;
  refreshToken?: string;
}

/** Outputs that are not inputs. */
type OutputOnly =
  | "tokenId" | "accessToken" | "refreshToken" | "createdAt" | "accessTokenExpiresAt" | "refreshTokenExpiresAt"
  | "generation" | "rotateAfter" | "rotatedAt" | "previous" | "secretKnown" | "sealedPair" | "secretFingerprint";

/** One undefined per output, so that each gets a resolver; undefined values are never sent. */
const PLACEHOLDERS: Record<keyof AccessTokenArgs | OutputOnly | typeof SECRET_PAIR, undefined> = {
  name: undefined,
  scope: undefined,
  apiEndpoints: undefined,
  renewableUntil: undefined,
  expiresAt: undefined,
  ipAllowlist: undefined,
  userId: undefined,
  userName: undefined,
  replaceOnForbiddenScopeChange: undefined,
  renewableFor: undefined,
  expiresIn: undefined,
  extendWhenLeft: undefined,
  rotation: undefined,
  rotationTrigger: undefined,
  server: undefined,
  adopt: undefined,
  sealTo: undefined,
  sealedPair: undefined,
  secretFingerprint: undefined,
  secretKnown: undefined,
  __secrets: undefined,
  generation: undefined,
  rotateAfter: undefined,
  rotatedAt: undefined,
  previous: undefined,
  tokenId: undefined,
  accessToken: undefined,
  refreshToken: undefined,
  createdAt: undefined,
  accessTokenExpiresAt: undefined,
  refreshTokenExpiresAt: undefined,
};

/**
 * A Commvault REST API access token.
 *
 * ```ts
 * const ci = new AccessToken("ci", { name: "ci-pipeline", userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"] });
 * export const secret = ci.accessToken; // a secret Output
 * ```
 */
export class AccessToken extends pulumi.CustomResource {
  /** The type token the engine registers this resource under; lets CrossGuard's validateResourceOfType(AccessToken, ...) match it. */
  static readonly __pulumiType = "pulumi-nodejs:dynamic/commvault:AccessToken";
  declare public readonly name: pulumi.Output<string>;
  declare public readonly scope: pulumi.Output<AccessTokenScope>;
  declare public readonly apiEndpoints: pulumi.Output<string[] | undefined>;
  /**
   * The effective renewable-until, normalised to UTC (the declared date, the rolling one, or
   * Commvault's default). Scopes: All, Custom, Hyperscale.
   */
  declare public readonly renewableUntil: pulumi.Output<string | undefined>;
  /** The effective expiry, normalised to UTC. Scopes: MicrosoftSCIM, OneTouchRecovery. */
  declare public readonly expiresAt: pulumi.Output<string | undefined>;
  /** The allow list in canonical form: sorted, de-duplicated, CIDR host bits cleared. */
  declare public readonly ipAllowlist: pulumi.Output<string[]>;
  declare public readonly replaceOnForbiddenScopeChange: pulumi.Output<boolean>;
  /** Commvault's accessTokenId. */
  declare public readonly tokenId: pulumi.Output<number>;
  /** The owner's user id, resolved. */
  declare public readonly userId: pulumi.Output<number>;
  /** The owner's user name, resolved. */
  declare public readonly userName: pulumi.Output<string | undefined>;
  /**
   * The token secret (the bootstrap pair). Absent with sealTo (the pair is sealed in sealedPair),
   * and when secretKnown is false (a token taken over by adopt or pulumi import, whose secret
   * Commvault never shows again).
   */
  declare public readonly accessToken: pulumi.Output<string>;
  /**
   * The refresh token of the bootstrap pair. Absent with sealTo (the pair is sealed in sealedPair),
   * and when secretKnown is false (an adopted or imported token). Scopes: All, Custom, Hyperscale.
   */
  declare public readonly refreshToken: pulumi.Output<string | undefined>;
  /** When Commvault created the token (RFC 3339, UTC), from the owner's token list. */
  declare public readonly createdAt: pulumi.Output<string>;
  /**
   * When the token's current access token expires (RFC 3339, UTC), as the server last listed it; a
   * consumer's renew moves it. Scopes: All, Custom, Hyperscale.
   */
  declare public readonly accessTokenExpiresAt: pulumi.Output<string | undefined>;
  /** When the refresh token of the bootstrap pair expires (RFC 3339, UTC), as Commvault answered the create. Scopes: All, Custom, Hyperscale. */
  declare public readonly refreshTokenExpiresAt: pulumi.Output<string | undefined>;
  declare public readonly renewableFor: pulumi.Output<string | undefined>;
  declare public readonly expiresIn: pulumi.Output<string | undefined>;
  declare public readonly extendWhenLeft: pulumi.Output<string | undefined>;
  declare public readonly rotation: pulumi.Output<AccessTokenRotation | undefined>;
  declare public readonly rotationTrigger: pulumi.Output<string | undefined>;
  /** The secret's generation: 1 at creation, one more at each rotation (with rotation or rotationTrigger set). */
  declare public readonly generation: pulumi.Output<number | undefined>;
  /** The day from which the next `pulumi up` rotates (RFC 3339, UTC). */
  declare public readonly rotateAfter: pulumi.Output<string | undefined>;
  /** When the current secret was issued by a rotation. */
  declare public readonly rotatedAt: pulumi.Output<string | undefined>;
  /** The token kept aside by the last rotation, until its retirement. */
  declare public readonly previous: pulumi.Output<PreviousAccessToken | undefined>;
  declare public readonly server: pulumi.Output<string | undefined>;
  /**
   * false for a token taken over by `adopt` or `pulumi import`: its secret is not known, and
   * accessToken and refreshToken are absent. Absent for a token this provider created.
   */
  declare public readonly secretKnown: pulumi.Output<boolean | undefined>;
  declare public readonly sealTo: pulumi.Output<string[] | undefined>;
  /**
   * With sealTo: the ASCII-armored age ciphertext of the JSON {"accessToken": ..., "refreshToken":
   * ...} (no refreshToken for MicrosoftSCIM and OneTouchRecovery); open it with `age -d -i
   * key.txt`. Not a secret: only the recipients' identities open it.
   */
  declare public readonly sealedPair: pulumi.Output<string | undefined>;
  /**
   * With sealTo: the first 16 hex digits of SHA-256 over the access token, to tell which secret a
   * consumer holds. It correlates; it cannot recover the secret.
   */
  declare public readonly secretFingerprint: pulumi.Output<string | undefined>;

  constructor(name: string, args: AccessTokenArgs, opts?: pulumi.CustomResourceOptions) {
    // Every key the program gives is passed on, known or not: the provider's check refuses what
    // is not an input (naming the nearest one), so a typo in a JavaScript program, which has no
    // compiler to catch it, fails the preview instead of silently meaning "the default". Every
    // output is named too, even when left out of args: the SDK creates resolvers only for the
    // keys it is given, and a key without one reads as undefined forever (e.g. a defaulted
    // scope). The placeholders go first, so that an output key a user gives reaches check.
    // The only keys that cannot reach check: Pulumi's SDK drops `id` and `urn` from the inputs,
    // and a key named like a member of every object (`__proto__`, `hasOwnProperty`) is lost or
    // breaks the SDK's own code before check could name it.
    for (const key of Object.keys(args ?? {})) {
      const value = (args as unknown as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (key === "id" || key === "urn") throw new Error(`AccessToken "${name}": \`${key}\` is not an AccessToken input (Pulumi sets a resource's ${key}); remove it`);
      if (key === "__proto__" || key === "hasOwnProperty") throw new Error(`AccessToken "${name}": \`${key}\` is not an AccessToken input; remove it`);
    }
    // A dynamic resource cannot be imported (pulumi/pulumi#16175): the engine's read has no provider.
    if (opts?.import !== undefined) {
      throw new Error(`AccessToken "${name}": the import option does not work for this resource (a dynamic provider cannot be imported); use adopt: { tokenId: <id> } instead, which takes the token over at the next \`pulumi up\` with no write`);
    }
    // __resource: the resource's logical name, for the provider's messages only (the engine tells a
    // dynamic provider no URN): see RESOURCE_NAME_KEY in provider/connection/runtime.ts. No output.
    const props: Record<string, unknown> = { ...PLACEHOLDERS, ...(args as object), __provider: PROVIDER_MODULE, __resource: name };
    // Pulumi's SDK wraps four promises per output in debuggablePromise, which reads
    // `new Error().stack` for each, only for its report of leaked promises. Under ts-node's
    // source-map support (the Node.js language host registers it for every program) each read
    // maps ten frames: with 27 outputs that was most of the program's CPU time per resource, and
    // the largest part of a preview's cost beyond the floor (docs/benchmarks.md). Those promises
    // are made synchronously in the constructor, so no frames are captured while it runs; the
    // SDK's own record of where the resource was declared (sourcePosition, stackTrace) sets its
    // own limit and is unchanged. An error thrown from the constructor gets its stack again.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      // Registered as pulumi.dynamic.Resource registers it (its type, __provider among the inputs),
      // but with the short __provider above. The engine records where the resource was declared
      // from the frames above CustomResource's: that is now the program's own line, as for any
      // provider's resource, and no longer this constructor's.
      super(AccessToken.__pulumiType, name, props, opts);
      // The two secrets out of the one value state keeps (or out of their own keys, in state
      // written before), as a program read them before: secret when set, plain undefined when
      // absent (a MicrosoftSCIM token's refreshToken, a sealed token's pair).
      const pair = (this as unknown as Record<typeof SECRET_PAIR, pulumi.Output<SecretPair | undefined>>)[SECRET_PAIR];
      // (apply lifts the Output its callback returns, with that Output's secrecy.)
      const secret = <K extends keyof SecretPair>(key: K, own: pulumi.Output<string | undefined>): pulumi.Output<string | undefined> =>
        pulumi.unsecret(pulumi.all([pair, own]).apply(([p, v]) => p?.[key] ?? v)).apply((v) => (v === undefined ? undefined : (pulumi.secret(v) as unknown as string)));
      this.accessToken = secret("accessToken", this.accessToken) as pulumi.Output<string>;
      this.refreshToken = secret("refreshToken", this.refreshToken);
    } catch (e) {
      Error.stackTraceLimit = limit;
      if (e instanceof Error) Error.captureStackTrace(e, AccessToken);
      throw e;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

// Still a pulumi.dynamic.Resource to `instanceof`, as before: its prototype sits between ours and
// CustomResource's (it adds no member), while the constructor chain skips its serialization.
Object.setPrototypeOf(AccessToken.prototype, pulumi.dynamic.Resource.prototype);
