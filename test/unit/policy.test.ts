import type { ReportViolation, ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs } from "../../policy/node_modules/@pulumi/policy";
import { validateResourceOfType } from "../../policy/node_modules/@pulumi/policy";
import {
  allScopeRotates,
  allowlistNotOpen,
  lifetimeCap,
  policies,
  preferCustom,
  serviceAccountAllowlist,
  oneResourcePerToken,
  serviceAccountSealed,
  uniqueOwnerAndName,
} from "../../policy/src/policies";
import { ACCESS_TOKEN_TYPES, DYNAMIC_TYPE, PLUGIN_TYPE, nowSeconds, openFamilies } from "../../policy/src/rules";
import { AccessToken } from "../../sdk/access-token";

// @pulumi/policy's own proxy, as its server wraps every resource's properties: reading a value
// still unknown at preview throws. Internal to the package, hence the require.
const proxy = require("../../policy/node_modules/@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(o: T): T;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownObjectValue: string;
};

const NOW = Date.parse("2027-01-01T00:00:00Z") / 1000;
const DAY = 86_400;
const at = (days: number) => new Date((NOW + days * DAY) * 1000).toISOString().replace(".000Z", "Z");

/** Runs a resource policy as @pulumi/policy's server does, and returns the messages it reports. */
function run(policy: ResourceValidationPolicy, props: Record<string, unknown>, opts: { type?: string; config?: object } = {}): string[] {
  const messages: string[] = [];
  const report: ReportViolation = (m) => void messages.push(m);
  const validations = ([] as ResourceValidation[]).concat(policy.validateResource ?? []);
  for (const v of validations) {
    const args = {
      type: opts.type ?? DYNAMIC_TYPE,
      props: proxy.unknownCheckingProxy(props),
      urn: "urn:pulumi:dev::p::t::r",
      name: "r",
      getConfig: () => opts.config ?? {},
    } as unknown as ResourceValidationArgs;
    void v(args, report);
  }
  return messages;
}

const checked = (extra: Record<string, unknown>) => ({ name: "t", scope: "Custom", apiEndpoints: ["/client"], ipAllowlist: [], replaceOnForbiddenScopeChange: false, ...extra });

/** A stack of resources, as a stack policy sees them: what the policy reports, as "<name>: <message>". */
type StackResource = { type?: string; name: string; props: Record<string, unknown> };
function violations(policy: { validateStack: (args: StackValidationArgs, report: (m: string, urn?: string) => void) => unknown }, resources: StackResource[]): string[] {
  const found: string[] = [];
  const args = {
    resources: resources.map((r) => ({ type: r.type ?? DYNAMIC_TYPE, urn: `urn:pulumi:dev::p::${r.type ?? DYNAMIC_TYPE}::${r.name}`, name: r.name, props: proxy.unknownCheckingProxy(r.props) })),
    getConfig: () => ({}),
  } as unknown as StackValidationArgs;
  void policy.validateStack(args, (m, urn) => void found.push(`${urn?.split("::").pop()}: ${m}`));
  return found;
}

describe("policy pack: every rule holds through both doors (the dynamic resource's type and the plugin's)", () => {
  beforeAll(() => {
    process.env.COMMVAULT_TOKENS_NOW = String(NOW);
  });
  afterAll(() => {
    delete process.env.COMMVAULT_TOKENS_NOW;
  });

  test("the two type tokens", () => {
    expect(ACCESS_TOKEN_TYPES).toEqual(["pulumi-nodejs:dynamic/commvault:AccessToken", "commvault:index:AccessToken"]);
  });

  describe.each([DYNAMIC_TYPE, PLUGIN_TYPE])("type %s", (type) => {
    const judge = (p: ResourceValidationPolicy, props: Record<string, unknown>, config?: object) => run(p, props, { type, config });

    test("a service account's token needs an allow list: by the default pattern svc-, by configured names and ids", () => {
      expect(judge(serviceAccountAllowlist, checked({ userName: "svc-backup" }))).toEqual([
        expect.stringContaining('access token "t" belongs to the service account svc-backup and has no ipAllowlist'),
      ]);
      expect(judge(serviceAccountAllowlist, checked({ userName: "SVC-Reporting", ipAllowlist: ["10.0.0.0/8"] }))).toEqual([]);
      // A person's token, and a token that names no owner, are not service accounts' tokens.
      expect(judge(serviceAccountAllowlist, checked({ userName: "alice" }))).toEqual([]);
      expect(judge(serviceAccountAllowlist, checked({}))).toEqual([]);
      // A user id is a service account's only when configured.
      expect(judge(serviceAccountAllowlist, checked({ userId: 21 }))).toEqual([]);
      expect(judge(serviceAccountAllowlist, checked({ userId: 21 }), { serviceAccountIds: [21] })).toEqual([expect.stringContaining("service account user id 21")]);
      expect(judge(serviceAccountAllowlist, checked({ userName: "backup-robot" }), { serviceAccountNames: ["Backup-Robot"] })).toHaveLength(1);
      // An empty pattern turns the default off.
      expect(judge(serviceAccountAllowlist, checked({ userName: "svc-backup" }), { serviceAccountPattern: "" })).toEqual([]);
      expect(() => judge(serviceAccountAllowlist, checked({ userName: "svc-backup" }), { serviceAccountPattern: "(" })).toThrow(/serviceAccountPattern "\(" is not a regular expression/);
    });

    test("no allow list admits every address, alone or added up", () => {
      for (const open of [["0.0.0.0/0"], ["::/0"], ["0.0.0.0-255.255.255.255"], ["0.0.0.0/1", "128.0.0.0/1"], ["::ffff:0:0/96"], ["::/1", "8000::/1", "10.0.0.1"]]) {
        expect(judge(allowlistNotOpen, checked({ ipAllowlist: open }))).toEqual([expect.stringMatching(/admits every IPv[46] address/)]);
      }
      expect(judge(allowlistNotOpen, checked({ ipAllowlist: ["0.0.0.0/0", "::/0"] }))).toHaveLength(2);
      for (const closed of [[], ["10.0.0.0/8"], ["0.0.0.0/1"], ["0.0.0.0/1", "128.0.0.1-255.255.255.255"], ["::/1", "10.0.0.0/8"]]) {
        expect(judge(allowlistNotOpen, checked({ ipAllowlist: closed }))).toEqual([]);
      }
    });

    test("a lifetime reaches at most maxDays ahead (default 180), Commvault's default counted when none is set", () => {
      expect(judge(lifetimeCap, checked({ renewableUntil: at(180) }))).toEqual([]);
      expect(judge(lifetimeCap, checked({ renewableUntil: at(181) }))).toEqual([
        expect.stringContaining(`access token "t" lives until ${at(181)} (renewableUntil), 181 days ahead, more than the 180 days allowed`),
      ]);
      expect(judge(lifetimeCap, checked({ renewableUntil: at(100) }), { maxDays: 90 })).toEqual([expect.stringContaining('renewableFor: "90d"')]);
      expect(judge(lifetimeCap, checked({ scope: "MicrosoftSCIM", expiresAt: at(200) }))).toEqual([expect.stringContaining('expiresIn: "180d"')]);
      expect(judge(lifetimeCap, checked({}))).toEqual([]);
      expect(judge(lifetimeCap, checked({}), { maxDays: 60 })).toEqual([expect.stringContaining("sets no renewableUntil, so Commvault's default of 90 days applies")]);
      expect(judge(lifetimeCap, checked({ scope: "OneTouchRecovery" }), { maxDays: 7 })).toEqual([]);
    });

    test("an All-scope token rotates (everyDays at most maxEveryDays, default 90, or beforeEndDays); other scopes need not", () => {
      expect(judge(allScopeRotates, checked({ scope: "All" }))).toEqual([expect.stringContaining("has scope All (every API its owner may call) and no rotation schedule")]);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: { overlapDays: 3 } }))).toHaveLength(1);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: { everyDays: 90 } }))).toEqual([]);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: { everyDays: 91 } }))).toEqual([expect.stringContaining("rotates every 91 days, less often than every 90 days")]);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: { everyDays: 120 } }), { maxEveryDays: 120 })).toEqual([]);
      expect(judge(allScopeRotates, checked({ scope: "All", renewableFor: "90d", rotation: { beforeEndDays: 30 } }))).toEqual([]);
      expect(judge(allScopeRotates, checked({}))).toEqual([]);
      expect(judge(allScopeRotates, { name: "t" })).toHaveLength(1); // no scope is All
    });

    test("a service account's token seals its pair (sealTo), advisory by default; a person's token need not", () => {
      expect(serviceAccountSealed.enforcementLevel).toBe("advisory");
      expect(judge(serviceAccountSealed, checked({ userName: "svc-backup" }))).toEqual([expect.stringContaining("belongs to the service account svc-backup and its pair is not sealed")]);
      expect(judge(serviceAccountSealed, checked({ userName: "svc-backup", sealTo: ["age1qqq"] }))).toEqual([]);
      expect(judge(serviceAccountSealed, checked({ userId: 21 }), { serviceAccountIds: [21] })).toHaveLength(1);
      expect(judge(serviceAccountSealed, checked({ userName: "alice" }))).toEqual([]);
      expect(judge(serviceAccountSealed, checked({ userName: "svc-backup", sealTo: proxy.unknownArrayValue }))).toEqual([]);
    });

    test("Custom preferred to All (advisory)", () => {
      expect(preferCustom.enforcementLevel).toBe("advisory");
      expect(judge(preferCustom, checked({ scope: "All" }))).toEqual([expect.stringContaining('use scope "Custom" with apiEndpoints')]);
      expect(judge(preferCustom, checked({}))).toEqual([]);
      expect(judge(preferCustom, checked({ scope: "Hyperscale" }))).toEqual([]);
    });

    test("a value still unknown at preview is not judged (and does not turn into a policy error)", () => {
      const u = proxy.unknownStringValue;
      expect(judge(serviceAccountAllowlist, checked({ userName: u }))).toEqual([]);
      expect(judge(serviceAccountAllowlist, checked({ userName: "svc-backup", ipAllowlist: proxy.unknownArrayValue }))).toEqual([]);
      expect(judge(allowlistNotOpen, checked({ ipAllowlist: ["0.0.0.0/1", u] }))).toEqual([]);
      expect(judge(allowlistNotOpen, checked({ ipAllowlist: ["0.0.0.0/0", u] }))).toHaveLength(1);
      expect(judge(lifetimeCap, checked({ renewableUntil: u }))).toEqual([]);
      expect(judge(allScopeRotates, checked({ scope: u }))).toEqual([]);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: proxy.unknownObjectValue }))).toEqual([]);
      expect(judge(allScopeRotates, checked({ scope: "All", rotation: { everyDays: proxy.unknownStringValue } }))).toEqual([]);
    });
  });

  test("other resource types are left alone", () => {
    const bad = checked({ scope: "All", userName: "svc-backup", ipAllowlist: ["0.0.0.0/0"], renewableUntil: at(300) });
    for (const p of [serviceAccountAllowlist, serviceAccountSealed, allowlistNotOpen, lifetimeCap, allScopeRotates, preferCustom]) {
      expect(run(p, bad, { type: "pulumi-nodejs:dynamic:Resource" })).toEqual([]);
      expect(run(p, bad, { type: "aws:s3/bucket:Bucket" })).toEqual([]);
    }
  });

  test("COMMVAULT_TOKENS_NOW sets the clock, as for the provider", () => {
    expect(nowSeconds({ COMMVAULT_TOKENS_NOW: "2027-01-01T00:00:00Z" })).toBe(NOW);
    expect(nowSeconds({ COMMVAULT_TOKENS_NOW: String(NOW) })).toBe(NOW);
    expect(Math.abs(nowSeconds({}) - Date.now() / 1000)).toBeLessThan(5);
  });

  test("openFamilies names the entries that open a family", () => {
    expect(openFamilies(["10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"])).toEqual([{ family: "IPv4", entries: ["0.0.0.0/1", "128.0.0.0/1"] }]);
    expect(openFamilies(["2001:db8::/32", "::/0"])).toEqual([{ family: "IPv6", entries: ["::/0"] }]);
  });

  describe("no two tokens with the same owner and name in a stack", () => {
    const stack = (resources: StackResource[]) => violations(uniqueOwnerAndName, resources);

    test("the same name (ignoring case) for the same owner, across both doors", () => {
      expect(stack([{ name: "a", props: { name: "ci", userName: "svc-backup" } }, { name: "b", type: PLUGIN_TYPE, props: { name: "CI", userName: "svc-backup" } }])).toEqual([
        expect.stringMatching(/^b: access token "CI" of svc-backup has the same owner and name as the resource "a"/),
      ]);
      expect(stack([{ name: "a", props: { name: "ci", userId: 21 } }, { name: "b", props: { name: "ci", userId: 21, userName: "svc-backup" } }])).toHaveLength(1);
      expect(stack([{ name: "a", props: { name: "ci" } }, { name: "b", props: { name: "ci" } }])).toEqual([expect.stringContaining("of the logged-in user")]);
    });

    test("different owners, different names, other types, or owners named differently (the policy cannot tell) pass", () => {
      expect(stack([{ name: "a", props: { name: "ci", userName: "svc-backup" } }, { name: "b", props: { name: "ci", userName: "svc-reporting" } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "ci" } }, { name: "b", props: { name: "cd" } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "ci" } }, { name: "b", type: "pulumi-nodejs:dynamic:Resource", props: { name: "ci" } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "ci", userId: 21 } }, { name: "b", props: { name: "ci", userName: "svc-backup" } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "ci", userName: proxy.unknownStringValue } }, { name: "b", props: { name: "ci", userName: "x" } }])).toEqual([]);
    });
  });

  describe("no token managed by two resources of a stack", () => {
    const stack = (resources: StackResource[]) => violations(oneResourcePerToken, resources);

    test("a new resource adopting by id a token another holds in state (registered before or after it), across both doors, names both", () => {
      const holder = { name: "a", props: { name: "ci", tokenId: 104, userId: 21 } };
      const adopter = { name: "b", type: PLUGIN_TYPE, props: { name: "ci-2", tokenId: proxy.unknownStringValue, adopt: { tokenId: 104 } } };
      for (const order of [[holder, adopter], [adopter, holder]]) {
        expect(stack(order)).toEqual([expect.stringMatching(/^b: access token 104 is managed by two resources: "b" \(urn:.*::b\) adopts it, and "a" \(urn:.*::a\) holds it in the stack's state; a token can be managed by one resource only/)]);
      }
    });

    test("two resources adopting one id; but tokens of different servers, other ids, or an unknown id pass", () => {
      expect(stack([{ name: "a", props: { name: "x", adopt: { tokenId: 7 } } }, { name: "b", props: { name: "y", adopt: { tokenId: 7 } } }])).toEqual([expect.stringMatching(/^b: .*"a" \(.*\) adopts it too/)]);
      expect(stack([{ name: "a", props: { name: "x", tokenId: 7 } }, { name: "b", props: { name: "y", server: "dr", adopt: { tokenId: 7 } } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "x", tokenId: 7 } }, { name: "b", props: { name: "y", tokenId: 8 } }])).toEqual([]);
      expect(stack([{ name: "a", props: { name: "x", tokenId: 7 } }, { name: "b", props: { name: "y", adopt: { tokenId: proxy.unknownStringValue } } }])).toEqual([]);
    });
  });

  test("the pack: eight policies, each mandatory except Custom-over-All and sealing", () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["service-account-token-has-allowlist", "mandatory"],
      ["service-account-token-sealed", "advisory"],
      ["allowlist-not-open-to-all", "mandatory"],
      ["lifetime-within-cap", "mandatory"],
      ["all-scope-token-rotates", "mandatory"],
      ["prefer-custom-scope", "advisory"],
      ["unique-owner-and-name", "mandatory"],
      ["one-resource-per-token", "mandatory"],
    ]);
  });

  test("validateResourceOfType(AccessToken, ...) carries the dynamic type, read from the SDK class's static __pulumiType", () => {
    expect(AccessToken.__pulumiType).toBe(DYNAMIC_TYPE);
    const v = validateResourceOfType(AccessToken, () => undefined) as ResourceValidation & { __pulumiType?: string };
    // @pulumi/policy's server skips a policy whose validation carries another type than the resource's.
    expect(v.__pulumiType).toBe(DYNAMIC_TYPE);
  });
});
