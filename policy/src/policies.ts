/**
 * The policies of the commvault-tokens pack. Each resource rule applies to both type tokens of an
 * access token (the dynamic provider's and the provider plugin's), so it holds whichever door a
 * program uses. Thresholds come from `pulumi preview --policy-pack-config <file>`; see README.md.
 */
import type { ReportViolation, ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  ACCESS_TOKEN_TYPES,
  DEFAULT_MAX_EVERY_DAYS,
  DEFAULT_MAX_LIFETIME_DAYS,
  DEFAULT_SERVICE_ACCOUNT_PATTERN,
  UNKNOWN,
  judgeAllScopeRotates,
  judgeAllowlistNotOpen,
  judgeLifetime,
  judgePreferCustom,
  judgeServiceAccountAllowlist,
  judgeOneResourcePerToken,
  judgeUniqueOwnerAndName,
  nowSeconds,
  type LifetimeConfig,
  type Props,
  type RotationConfig,
  type ServiceAccountConfig,
  type Value,
} from "./rules";

/**
 * A plain copy of a resource's properties, with every value still unknown at preview replaced
 * by UNKNOWN. @pulumi/policy hands out a proxy that throws on reading an unknown; a rule that
 * let it throw would turn into a warning that the policy could not run.
 */
export function snapshot(value: unknown): Value {
  if (value === null || typeof value !== "object") return value as Value;
  const read = (key: string | number): Value => {
    try {
      return snapshot((value as Record<string | number, unknown>)[key]);
    } catch (e) {
      if (e instanceof Error && e.constructor.name === "UnknownValueError") return UNKNOWN;
      throw e;
    }
  };
  if (Array.isArray(value)) {
    // Index by index: the proxy wraps even an array's own methods.
    const out: Value[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(i));
    return out;
  }
  const out: Record<string, Value> = {};
  for (const key of Object.keys(value)) out[key] = read(key);
  return out;
}

/** A resource validation that applies to access tokens of either type and judges a plain copy of their properties. */
function forAccessTokens<C extends object>(judge: (p: Props, config: C) => string[]): ResourceValidation {
  return (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!ACCESS_TOKEN_TYPES.includes(args.type)) return;
    const props = snapshot(args.props) as Props;
    for (const message of judge(props, args.getConfig<C>())) report(message);
  };
}

function checkPattern(c: ServiceAccountConfig): ServiceAccountConfig {
  try {
    new RegExp(c.serviceAccountPattern ?? DEFAULT_SERVICE_ACCOUNT_PATTERN, "i");
  } catch {
    throw new Error(`serviceAccountPattern ${JSON.stringify(c.serviceAccountPattern)} is not a regular expression`);
  }
  return c;
}

export const serviceAccountAllowlist: ResourceValidationPolicy = {
  name: "service-account-token-has-allowlist",
  description: "Every service account's access token has an IP allow list.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      serviceAccountNames: { type: "array", items: { type: "string" }, default: [] },
      serviceAccountIds: { type: "array", items: { type: "integer" }, default: [] },
      serviceAccountPattern: { type: "string", default: DEFAULT_SERVICE_ACCOUNT_PATTERN },
    },
  },
  validateResource: forAccessTokens<ServiceAccountConfig>((p, c) => judgeServiceAccountAllowlist(p, checkPattern(c))),
};

export const allowlistNotOpen: ResourceValidationPolicy = {
  name: "allowlist-not-open-to-all",
  description: "No access token's IP allow list admits every address (0.0.0.0/0, ::/0, or entries that add up to them).",
  enforcementLevel: "mandatory",
  validateResource: forAccessTokens((p) => judgeAllowlistNotOpen(p)),
};

export const lifetimeCap: ResourceValidationPolicy = {
  name: "lifetime-within-cap",
  description: "An access token's end (renewableUntil or expiresAt, rolling lifetimes resolved) is at most maxDays ahead.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { maxDays: { type: "integer", minimum: 1, maximum: 365, default: DEFAULT_MAX_LIFETIME_DAYS } },
  },
  validateResource: forAccessTokens<LifetimeConfig>((p, c) => judgeLifetime(p, c, nowSeconds())),
};

export const allScopeRotates: ResourceValidationPolicy = {
  name: "all-scope-token-rotates",
  description: "An All-scope access token rotates its secret on a schedule (rotation.everyDays at most maxEveryDays, or rotation.beforeEndDays).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { maxEveryDays: { type: "integer", minimum: 1, default: DEFAULT_MAX_EVERY_DAYS } },
  },
  validateResource: forAccessTokens<RotationConfig>((p, c) => judgeAllScopeRotates(p, c)),
};

export const preferCustom: ResourceValidationPolicy = {
  name: "prefer-custom-scope",
  description: "Custom scope (named API endpoints) rather than All, where the consumer allows it.",
  enforcementLevel: "advisory",
  validateResource: forAccessTokens((p) => judgePreferCustom(p)),
};

export const uniqueOwnerAndName: StackValidationPolicy = {
  name: "unique-owner-and-name",
  description: "No two access tokens in a stack have the same owner and name.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const tokens = args.resources.filter((r) => ACCESS_TOKEN_TYPES.includes(r.type)).map((r) => ({ urn: r.urn, props: snapshot(r.props) as Props }));
    for (const v of judgeUniqueOwnerAndName(tokens)) report(v.message, v.urn);
  },
};

export const oneResourcePerToken: StackValidationPolicy = {
  name: "one-resource-per-token",
  description: "No access token is managed by two resources of a stack (held in state by one and adopted by another, or adopted by two).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const tokens = args.resources.filter((r) => ACCESS_TOKEN_TYPES.includes(r.type)).map((r) => ({ urn: r.urn, props: snapshot(r.props) as Props }));
    for (const v of judgeOneResourcePerToken(tokens)) report(v.message, v.urn);
  },
};

export const policies = [serviceAccountAllowlist, allowlistNotOpen, lifetimeCap, allScopeRotates, preferCustom, uniqueOwnerAndName, oneResourcePerToken];
