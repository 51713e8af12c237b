import { checkInputs } from "../../provider/model/inputs";
import { normaliseAllowList } from "../../provider/model/ip";
import { UNKNOWN } from "../../provider/model/unknown";

const NOW = Date.UTC(2026, 10, 28) / 1000;
const check = (news: Record<string, unknown>, olds?: Record<string, unknown>) => checkInputs(olds, news, NOW);

describe("normalisation: equal meanings make no diff", () => {
  test.each([
    [["10.0.0.1"], ["10.0.0.1/32"]],
    [["2001:db8::1"], ["2001:0DB8:0000:0000:0000:0000:0000:0001"]],
    [["2001:db8::1"], ["2001:db8::1/128"]],
    [["10.0.0.0/8"], ["10.1.2.3/8"]],
    [["2001:db8::/32"], ["2001:db8:ffff::1/32"]],
    [["10.0.0.2", "10.0.0.1"], ["10.0.0.1", "10.0.0.2", "10.0.0.1/32"]],
    [["192.0.2.1-192.0.2.9"], ["192.0.2.1 - 192.0.2.9".replace(/ /g, "")]],
    [["192.0.2.5-192.0.2.5"], ["192.0.2.5"]],
    [["::ffff:192.0.2.5"], ["192.0.2.5"]],
  ])("%j and %j normalise alike", (a, b) => {
    expect(normaliseAllowList(a).entries).toEqual(normaliseAllowList(b).entries);
    expect(normaliseAllowList(a).invalid).toEqual([]);
  });

  test("sorting puts IPv4 first, then by address, narrower block first", () => {
    expect(normaliseAllowList(["2001:db8::1", "10.0.0.0/8", "9.9.9.9", "10.0.0.0/16"]).entries).toEqual(["9.9.9.9", "10.0.0.0/16", "10.0.0.0/8", "2001:db8::1"]);
  });

  test("times in any offset become UTC with Z", () => {
    const { inputs, failures } = check({ name: "a", renewableUntil: "2027-01-01T05:30:00+05:30" });
    expect(failures).toEqual([]);
    expect(inputs.renewableUntil).toBe("2027-01-01T00:00:00Z");
  });

  test("defaults: scope All, empty allow list, no opt-in; endpoints become a sorted set", () => {
    expect(check({ name: "a" }).inputs).toEqual({ name: "a", scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false });
    expect(check({ name: "a", scope: "Custom", apiEndpoints: ["/plan", "/client", "/plan"] }).inputs.apiEndpoints).toEqual(["/client", "/plan"]);
  });
});

/** Wrong in every way the cross-field rules catch. */
const BAD = {
  name: "x",
  scope: "Custom",
  renewableUntil: "next tuesday",
  expiresAt: "2027-01-01T00:00:00Z",
  ipAllowlist: ["10.0.0.1", "300.1.1.1", "10.0.0.0/33", "fe80::1-10.0.0.1", "banana"],
  userId: 21,
  userName: "svc-backup",
};

describe("check: every failure at once, each naming the property and the fix", () => {
  test("shape and meaning failures come together, and a key that is not an input is named", () => {
    const { failures } = check({ ...BAD, name: "", color: "blue" });
    const by = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    expect(by.color).toMatch(/^`color` is not an AccessToken input; remove it\. AccessToken's inputs are name, scope, /);
    expect(by.name).toMatch(/^name is empty; set name to the token's display name, 1 to 255 characters$/);
    // The meaning rules still ran: a shape failure hides nothing.
    expect(Object.keys(by).sort()).toEqual(["apiEndpoints", "color", "expiresAt", "ipAllowlist", "name", "renewableUntil", "userName"]);
  });

  test("the cross-field rules, reported together", () => {
    const { failures } = check(BAD);
    const by = Object.fromEntries(failures.map((f) => [f.property, f.reason]));
    expect(Object.keys(by).sort()).toEqual(["apiEndpoints", "expiresAt", "ipAllowlist", "renewableUntil", "userName"]);
    expect(by.apiEndpoints).toMatch(/scope "Custom" needs apiEndpoints; list API path prefixes/);
    expect(by.renewableUntil).toMatch(/"next tuesday" is not an RFC 3339 time.*e\.g\. 2027-01-31T00:00:00Z/);
    expect(by.expiresAt).toMatch(/does not apply to scope "Custom".*use renewableUntil/);
    expect(by.ipAllowlist).toMatch(/: "300\.1\.1\.1" is not an IPv4 address .*, "10\.0\.0\.0\/33" has the prefix \/33, more than the 32 bits of an IPv4 address, "fe80::1-10\.0\.0\.1" mixes IPv4 and IPv6 and 1 more;/);
    expect(by.userName).toMatch(/either userId or userName/);
  });

  test.each([
    [{ name: "a", scope: "Root" }, "scope", /use one of "All", "Custom", "Hyperscale", "MicrosoftSCIM", "OneTouchRecovery"/],
    [{ name: "a", apiEndpoints: ["/client"] }, "apiEndpoints", /apply only to scope "Custom"/],
    [{ name: "a", scope: "Custom", apiEndpoints: ["client"] }, "apiEndpoints", /"client" does not start with "\/"/],
    [{ name: "a", scope: "MicrosoftSCIM", renewableUntil: "2027-01-01T00:00:00Z" }, "renewableUntil", /use expiresAt/],
    [{ name: "a", renewableUntil: "2026-01-01T00:00:00Z" }, "renewableUntil", /in the past/],
    [{ name: "a", renewableUntil: "2028-01-01T00:00:00Z" }, "renewableUntil", /more than 365 days/],
    [{ name: "a", scope: "OneTouchRecovery", expiresAt: "2026-12-20T00:00:00Z" }, "expiresAt", /more than 14 days/],
    [{ name: "a", userId: -3 }, "userId", /the number -3 is not a user id.*numeric Commvault user id/],
    [{ name: "a", scope: "all" }, "scope", /"all" is not a scope; did you mean "All"\?/],
    [{}, "name", /^name is required; set name/],
    [{ name: "x".repeat(256) }, "name", /1 to 255/],
  ])("%j fails on %s", (news, property, reason) => {
    const f = check(news as Record<string, unknown>).failures;
    expect(f).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });

  test("a past date that has not changed does not fail a later preview", () => {
    const olds = { name: "a", renewableUntil: "2026-01-01T00:00:00Z" };
    expect(check({ name: "a", renewableUntil: "2026-01-01T00:00:00Z" }, olds).failures).toEqual([]);
  });

  test("values unknown during preview pass through unchecked", () => {
    const { inputs, failures } = check({ name: UNKNOWN, scope: "Custom", apiEndpoints: UNKNOWN, ipAllowlist: ["10.0.0.1", UNKNOWN], userId: UNKNOWN });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ name: UNKNOWN, apiEndpoints: UNKNOWN, ipAllowlist: ["10.0.0.1", UNKNOWN], userId: UNKNOWN });
  });

  test("a scope change into or out of SCIM/1-Touch is refused, naming both scopes, the rule and the ways forward", () => {
    const { failures } = check({ name: "a", scope: "All" }, { name: "a", scope: "MicrosoftSCIM" });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.property).toBe("scope");
    expect(failures[0]!.reason).toMatch(/from "MicrosoftSCIM" to "All".*Microsoft SCIM token.*only among All, Custom and Hyperscale.*keep scope "MicrosoftSCIM".*replaceOnForbiddenScopeChange: true.*new secret/);
  });

  test("an unknown scope during preview is not refused", () => {
    expect(check({ name: "a", scope: UNKNOWN }, { name: "a", scope: "MicrosoftSCIM" }).failures).toEqual([]);
  });
});
