import { checkInputs, type CheckFailure } from "../../provider/model/inputs";
import { normaliseAllowList } from "../../provider/model/ip";
import { readRfc3339 } from "../../provider/model/time";
import { UNKNOWN } from "../../provider/model/unknown";

const NOW = Date.UTC(2026, 10, 28) / 1000;
const check = (news: Record<string, unknown>, olds?: Record<string, unknown>) => checkInputs(olds, news, NOW);
const only = (failures: CheckFailure[], property: string) => {
  expect(failures.map((f) => f.property)).toEqual([property]);
  return failures[0]!.reason;
};

describe("impossible calendar times are refused, never moved to another date", () => {
  test.each([
    ["2027-02-30T00:00:00Z", /has day 30, and February 2027 has 28 days/],
    ["2027-04-31T00:00:00Z", /has day 31, and April 2027 has 30 days/],
    ["2027-01-00T00:00:00Z", /has day 0/],
    ["2027-13-01T00:00:00Z", /has month 13/],
    ["2027-01-01T24:00:00Z", /has hour 24.*00:00 of the next day/],
    ["2027-01-01T23:60:00Z", /has minute 60/],
    ["2027-01-01T23:59:60Z", /has second 60/],
    ["2027-01-01T00:00:00+24:00", /has the offset \+24:00/],
    ["2027-01-01T00:00:00", /has no offset: add Z/],
    ["10000-01-01T00:00:00Z", /year outside 0000 to 9999/],
    ["-0001-01-01T00:00:00Z", /year outside 0000 to 9999/],
    ["9999-12-31T23:00:00-02:00", /outside the years 0000 to 9999 once moved to UTC/],
    ["0000-01-01T00:30:00+01:00", /outside the years 0000 to 9999 once moved to UTC/],
    ["2027-1-1T00:00:00Z", /is not an RFC 3339 time/],
  ])("%s", (text, problem) => {
    for (const field of ["renewableUntil", "expiresAt"]) {
      const scope = field === "expiresAt" ? "MicrosoftSCIM" : "All";
      const reason = only(check({ name: "a", scope, [field]: text }).failures, field);
      expect(reason).toMatch(new RegExp(`^${field} ${JSON.stringify(text).replace(/[+.]/g, "\\$&")} `));
      expect(reason).toMatch(problem);
    }
  });

  test("leap days exist exactly in leap years, centuries included", () => {
    expect(readRfc3339("2028-02-29T00:00:00Z")).toEqual({ seconds: Date.UTC(2028, 1, 29) / 1000 });
    expect(readRfc3339("2000-02-29T00:00:00Z")).toEqual({ seconds: Date.UTC(2000, 1, 29) / 1000 });
    expect(readRfc3339("2100-02-29T00:00:00Z")).toEqual({ problem: expect.stringMatching(/February 2100 has 28 days/) });
    expect(readRfc3339("2027-02-29T00:00:00Z")).toEqual({ problem: expect.stringMatching(/February 2027 has 28 days/) });
  });

  test("the edges of years 0000 and 9999 are times, with the epoch Date itself gives", () => {
    expect(readRfc3339("0000-01-01T00:00:00Z")).toEqual({ seconds: Date.parse("0000-01-01T00:00:00Z") / 1000 });
    expect(readRfc3339("9999-12-31T23:59:59Z")).toEqual({ seconds: Date.parse("9999-12-31T23:59:59Z") / 1000 });
    expect(readRfc3339("0050-06-01T00:00:00Z")).toEqual({ seconds: Date.parse("0050-06-01T00:00:00Z") / 1000 });
  });
});

describe("things that are not addresses are refused, never read as other addresses", () => {
  test.each([
    ["10", /"10" is not an IPv4 address/],
    ["10/8", /"10\/8" is not an IPv4 address/],
    ["0xa", /"0xa" is not an IPv4 address/],
    ["167772161", /"167772161" is not an IPv4 address/],
    ["010.0.0.1", /"010\.0\.0\.1" is not an IPv4 address/],
    ["10.0.0.0/8/8", /"10\.0\.0\.0\/8\/8" has more than one "\/"/],
    ["10.0.0.0/08", /has the prefix "\/08", which is not a number of bits/],
    ["10.0.0.0/", /has the prefix "\/", which is not a number of bits/],
    ["2001:db8::/129", /more than the 128 bits of an IPv6 address/],
    ["fe80::1%eth0", /has a zone index/],
    ["1.2.3.4::", /is not an IPv6 address/],
    ["12345::1", /is not an IPv6 address/],
    ["1:2:3:4:5:6:7:8:9", /is not an IPv6 address/],
    ["1::2::3", /is not an IPv6 address/],
    ["10.0.0.1 10.0.0.2", /has a blank inside/],
    ["10.0.0.9-10.0.0.1", /runs backwards/],
    ["10.0.0.1-10.0.0.2-10.0.0.3", /has more than one "-"/],
    ["10.0.0.1-10.0.0.5/8", /puts a prefix on a range/],
    ["", /is empty/],
  ])("%j", (entry, problem) => {
    const { inputs, failures } = check({ name: "a", ipAllowlist: ["192.0.2.1", entry] });
    expect(only(failures, "ipAllowlist")).toMatch(problem);
    expect(inputs.ipAllowlist).toEqual(["192.0.2.1", entry]);
  });

  test("an entry that is not a string is named by its position", () => {
    expect(only(check({ name: "a", ipAllowlist: ["10.0.0.1", 167772161] }).failures, "ipAllowlist")).toMatch(/entry 2 is the number 167772161, not a string/);
  });

  test("IPv4-compatible ::a.b.c.d keeps its meaning; only IPv4-mapped ::ffff:a.b.c.d is the IPv4 address", () => {
    expect(normaliseAllowList(["::1.2.3.4"]).entries).toEqual(["::102:304"]);
    expect(normaliseAllowList(["::ffff:1.2.3.4"]).entries).toEqual(["1.2.3.4"]);
    expect(normaliseAllowList(["::ffff:10.0.0.0/104", "::ffff:0:0/95"]).entries).toEqual(["10.0.0.0/8", "::fffe:0:0/95"]);
  });

  test("blanks around an entry are no change of meaning", () => {
    expect(check({ name: "a", ipAllowlist: [" 10.0.0.1\t"] }).inputs.ipAllowlist).toEqual(["10.0.0.1"]);
  });
});

describe("names, endpoints and owners", () => {
  test.each([["   "], ["\t\n"]])("a name of only blanks (%j) is refused", (name) => {
    expect(only(check({ name }).failures, "name")).toMatch(/has only blanks; set name/);
    expect(only(check({ name: "a", userName: name }).failures, "userName")).toMatch(/has only blanks/);
  });

  test("an endpoint with a blank in it is refused, not trimmed", () => {
    expect(only(check({ name: "a", scope: "Custom", apiEndpoints: ["/client "] }).failures, "apiEndpoints")).toMatch(/"\/client " has a blank in it/);
  });

  test.each([[1.5], [0], [Number.MAX_SAFE_INTEGER + 2]])("userId %p is not a user id", (userId) => {
    expect(only(check({ name: "a", userId }).failures, "userId")).toMatch(/is not a user id/);
  });

  test("a number given as text is refused, saying what it got", () => {
    expect(only(check({ name: "a", userId: "21" }).failures, "userId")).toBe(`userId must be a number, not the string "21"; use the owner's numeric Commvault user id`);
  });
});

describe("a key that is not an input is refused, whatever its name", () => {
  test.each(["constructor", "toString", "hasOwnProperty", "valueOf", "__foo", "__proto__"])("%s", (key) => {
    // JSON.parse makes even __proto__ an own key, as the engine's inputs can be.
    const news = JSON.parse(`{"name": "a", ${JSON.stringify(key)}: 1}`) as Record<string, unknown>;
    expect(only(check(news).failures, key)).toMatch(new RegExp(`^\`${key}\` is not an AccessToken input; remove it\\. AccessToken's inputs are name, scope, `));
  });

  test.each([
    ["renewablUntil", "renewableUntil"],
    ["RenewableUntil", "renewableUntil"],
    ["nmae", "name"],
    ["userid", "userId"],
    ["ipAllowList", "ipAllowlist"],
    ["allowlist", "ipAllowlist"],
    ["expiresAT", "expiresAt"],
    ["replaceOnForbiddenScopeChanges", "replaceOnForbiddenScopeChange"],
  ])("%s: did you mean `%s`?", (key, meant) => {
    expect(only(check({ name: "a", [key]: "x" }).failures, key)).toBe(`\`${key}\` is not an AccessToken input; did you mean \`${meant}\`?`);
  });

  test("Commvault's API names point to ours", () => {
    expect(only(check({ name: "a", allowedIPs: ["10.0.0.1"] }).failures, "allowedIPs")).toMatch(/it is Commvault's API name\); did you mean `ipAllowlist`\?/);
  });

  test("an output given as an input is refused as one", () => {
    expect(only(check({ name: "a", createdAt: "2026-01-01T00:00:00Z" }).failures, "createdAt")).toMatch(/`createdAt` is an output of AccessToken, set by Commvault, not an input; remove it/);
  });

  test("a stray key with a null or unknown value is still refused; one left undefined was not given", () => {
    expect(only(check({ name: "a", renewablUntil: null }).failures, "renewablUntil")).toMatch(/did you mean `renewableUntil`/);
    expect(only(check({ name: "a", renewablUntil: UNKNOWN }).failures, "renewablUntil")).toMatch(/did you mean `renewableUntil`/);
    expect(check({ name: "a", renewablUntil: undefined }).failures).toEqual([]);
  });

  test("__provider is the engine's, not the user's", () => {
    expect(check({ name: "a", __provider: "require(...)" }).failures).toEqual([]);
  });

  test("many stray keys: five are named, then how many more", () => {
    const news: Record<string, unknown> = { name: "a" };
    for (let i = 0; i < 40; i++) news[`k${i}`] = i;
    const { failures } = check(news);
    expect(failures.map((f) => f.property)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    expect(failures[4]!.reason).toMatch(/\(and 35 more keys that are not AccessToken inputs\)$/);
  });
});

describe("a reason quotes a few short entries, never the whole input", () => {
  const MB = 1 << 20;
  test.each([
    ["a megabyte name", { name: "x".repeat(MB) }],
    ["a megabyte date", { name: "a", renewableUntil: "2".repeat(MB) }],
    ["a megabyte scope", { name: "a", scope: "A".repeat(MB) }],
    ["a megabyte key", { name: "a", ["k".repeat(MB)]: 1 }],
    ["ten thousand bad entries", { name: "a", ipAllowlist: Array.from({ length: 10_000 }, (_, i) => `bad-${i}-${"z".repeat(100)}`) }],
    ["ten thousand bad endpoints", { name: "a", scope: "Custom", apiEndpoints: Array.from({ length: 10_000 }, (_, i) => `e${i}`) }],
  ])("%s", (_what, news) => {
    const { failures } = check(news as Record<string, unknown>);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.reason.length).toBeLessThan(800);
      expect(f.property.length).toBeLessThanOrEqual(101);
    }
  });

  test("the count of what was left out is given", () => {
    const reason = only(check({ name: "a", ipAllowlist: ["a", "b", "c", "d", "e"] }).failures, "ipAllowlist");
    expect(reason).toMatch(/"a" .*"b" .*"c" .* and 2 more;/);
    expect(reason).not.toMatch(/"d"/);
  });
});

describe("a value still unknown at preview causes no refusal that a known value would not", () => {
  const SCIM = { name: "a", scope: "MicrosoftSCIM" };
  test("an unknown replaceOnForbiddenScopeChange: the known true would allow the change", () => {
    expect(check({ name: "a", scope: "All", replaceOnForbiddenScopeChange: UNKNOWN }, SCIM).failures).toEqual([]);
    // Known and false, the same change is refused.
    expect(only(check({ name: "a", scope: "All", replaceOnForbiddenScopeChange: false }, SCIM).failures, "scope")).toMatch(/cannot change/);
  });

  test("an unknown owner beside a known one: the unknown may turn out absent", () => {
    expect(check({ name: "a", userId: 21, userName: UNKNOWN }).failures).toEqual([]);
  });

  test("an unknown scope: only what every scope refuses is refused", () => {
    expect(check({ name: "a", scope: UNKNOWN, renewableUntil: "2027-10-01T00:00:00Z", apiEndpoints: ["/client"] }).failures).toEqual([]);
    expect(only(check({ name: "a", scope: UNKNOWN, renewableUntil: "2028-01-01T00:00:00Z" }).failures, "renewableUntil")).toMatch(/more than 365 days away/);
    expect(only(check({ name: "a", scope: UNKNOWN, expiresAt: "2026-01-01T00:00:00Z" }).failures, "expiresAt")).toMatch(/in the past/);
  });

  test("a list with an unknown entry passes as given, but its known entries are still read", () => {
    expect(check({ name: "a", ipAllowlist: ["10.0.0.1/32", UNKNOWN] }).inputs.ipAllowlist).toEqual(["10.0.0.1/32", UNKNOWN]);
    expect(only(check({ name: "a", ipAllowlist: ["10/8", UNKNOWN] }).failures, "ipAllowlist")).toMatch(/"10\/8" is not an IPv4 address/);
    expect(check({ name: "a", scope: "Custom", apiEndpoints: [UNKNOWN] }).failures).toEqual([]);
  });

  test("an unknown name is not a missing one", () => {
    expect(check({ name: UNKNOWN }).failures).toEqual([]);
  });
});

describe("check of its own output is the same output", () => {
  test.each([
    [{ name: "a", scope: "Custom", apiEndpoints: ["/x", "/a", "/x"], ipAllowlist: ["10.1.2.3/8", "::ffff:192.0.2.1", "2001:DB8::1/128"], renewableUntil: "2027-01-01T05:30:00+05:30", userId: 21 }],
    [{ name: UNKNOWN, scope: UNKNOWN, apiEndpoints: [], ipAllowlist: [UNKNOWN, "10.0.0.1/32"], replaceOnForbiddenScopeChange: UNKNOWN }],
    [{ name: "a", scope: "All", apiEndpoints: [], userName: "svc-backup", replaceOnForbiddenScopeChange: true }],
  ])("%j", (news) => {
    const first = check(news);
    expect(first.failures).toEqual([]);
    expect(check(first.inputs)).toEqual(first);
  });
});
