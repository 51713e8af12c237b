import * as pulumi from "@pulumi/pulumi";

/** Where a token may be used. Scope changes in place only among All, Custom and Hyperscale. */
export type AccessTokenScope = "All" | "Custom" | "Hyperscale" | "MicrosoftSCIM" | "OneTouchRecovery";

export interface AccessTokenArgs {
  /** The token's display name: 1 to 255 characters, unique per owner (case-insensitively). */
  name: pulumi.Input<string>;
  /** Default "All". MicrosoftSCIM and OneTouchRecovery can never change scope. */
  scope?: pulumi.Input<AccessTokenScope>;
  /** API path prefixes the token may call, e.g. ["/client"]; required with Custom, refused otherwise. */
  apiEndpoints?: pulumi.Input<pulumi.Input<string>[]>;
  /** RFC 3339 time until which the token can be renewed (All, Custom, Hyperscale). Server default: 90 days. */
  renewableUntil?: pulumi.Input<string>;
  /** RFC 3339 time at which the token expires (MicrosoftSCIM: default 30 days; OneTouchRecovery: 7 days). */
  expiresAt?: pulumi.Input<string>;
  /** IPv4/IPv6 addresses, CIDR blocks or a-b ranges allowed to use the token; empty means anywhere. */
  ipAllowlist?: pulumi.Input<pulumi.Input<string>[]>;
  /** The owner's user id. Default: the logged-in user. An administrator manages service accounts' tokens. */
  userId?: pulumi.Input<number>;
  /** The owner's user name, instead of userId. */
  userName?: pulumi.Input<string>;
  /** Allow a scope change Commvault forbids by replacing the token (new id, new secret). Default false. */
  replaceOnForbiddenScopeChange?: pulumi.Input<boolean>;
}

/**
 * The provider object, loaded by package name so that what the engine stores in state is a
 * tiny `require(...)` of the installed package rather than a copy of its code. Loaded lazily,
 * at construction, so that importing this SDK costs nothing and needs no build of the provider.
 */
function providerObject(): pulumi.dynamic.ResourceProvider {
  return require("pulumi-commvault-tokens/provider") as pulumi.dynamic.ResourceProvider;
}

const SECRET_OUTPUTS = ["accessToken", "refreshToken"];

/** Outputs that are not inputs. */
type OutputOnly = "tokenId" | "accessToken" | "refreshToken" | "createdAt" | "accessTokenExpiresAt" | "refreshTokenExpiresAt";

/** One undefined per output, so that each gets a resolver; undefined values are never sent. */
const PLACEHOLDERS: Record<keyof AccessTokenArgs | OutputOnly, undefined> = {
  name: undefined,
  scope: undefined,
  apiEndpoints: undefined,
  renewableUntil: undefined,
  expiresAt: undefined,
  ipAllowlist: undefined,
  userId: undefined,
  userName: undefined,
  replaceOnForbiddenScopeChange: undefined,
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
export class AccessToken extends pulumi.dynamic.Resource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly scope: pulumi.Output<AccessTokenScope>;
  declare public readonly apiEndpoints: pulumi.Output<string[] | undefined>;
  /** The effective renewable-until (All, Custom, Hyperscale), normalised to UTC. */
  declare public readonly renewableUntil: pulumi.Output<string | undefined>;
  /** The effective expiry (MicrosoftSCIM, OneTouchRecovery), normalised to UTC. */
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
  /** The token secret. Always a secret Output. */
  declare public readonly accessToken: pulumi.Output<string>;
  /** The refresh token (All, Custom, Hyperscale). Always a secret Output. */
  declare public readonly refreshToken: pulumi.Output<string | undefined>;
  declare public readonly createdAt: pulumi.Output<string>;
  declare public readonly accessTokenExpiresAt: pulumi.Output<string | undefined>;
  declare public readonly refreshTokenExpiresAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: AccessTokenArgs, opts?: pulumi.CustomResourceOptions) {
    // Every key the program gives is passed on, known or not: the provider's check refuses what
    // is not an input (naming the nearest one), so a typo in a JavaScript program, which has no
    // compiler to catch it, fails the preview instead of silently meaning "the default". Every
    // output is named too, even when left out of args: the SDK creates resolvers only for the
    // keys it is given, and a key without one reads as undefined forever (e.g. a defaulted
    // scope). The placeholders go first, so that an output key a user gives reaches check.
    const props: Record<string, unknown> = { ...PLACEHOLDERS, ...(args as object) };
    // The only keys that cannot reach check: Pulumi's SDK drops `id` and `urn` from the inputs.
    for (const key of ["id", "urn"]) {
      if (props[key] !== undefined) throw new Error(`AccessToken "${name}": \`${key}\` is not an AccessToken input (Pulumi sets a resource's ${key}); remove it`);
    }
    super(providerObject(), name, props, pulumi.mergeOptions(opts, { additionalSecretOutputs: SECRET_OUTPUTS }), "commvault", "AccessToken");
  }
}
