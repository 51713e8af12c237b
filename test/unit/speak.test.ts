import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectLanguage, spoken } from "../../plugin/language";
import { checkInputs } from "../../provider/model/inputs";
import { forbiddenScopeChangeMessage } from "../../provider/model/scope";
import { localize, looksLikePython, spell, translate } from "../../provider/model/speak";
import { nearest } from "../../provider/model/suggest";

const NOW = Date.parse("2026-12-06T00:00:00Z") / 1000;
/** What the plugin hands the engine for these inputs of a program in `lang`. */
const refusals = (news: Record<string, unknown>, lang: Parameters<typeof localize>[1], olds?: Record<string, unknown>) => localize(checkInputs(olds, news, NOW).failures, lang);

describe("check's refusals in the program's language (the plugin's door)", () => {
  test("a misspelled nested key from Python (left as written by its SDK) is named as written, with the nearest key in Python's spelling", () => {
    expect(refusals({ name: "t", rotation: { every_dayz: 30 } }, "python")).toEqual([
      { property: "", reason: "rotation.every_dayz: `every_dayz` is not an AccessToken rotation input; did you mean `every_days`?" },
    ]);
    expect(refusals({ name: "t", adopt: { by_nam: true } }, "python")).toEqual([
      { property: "", reason: "adopt.by_nam: `by_nam` is not an AccessToken adopt input; did you mean `by_name`?" },
    ]);
  });

  test("a nested value of the wrong type names the field and shows the fix as Python or Go writes it", () => {
    const [py] = refusals({ name: "t", rotation: { everyDays: "thirty" } }, "python");
    expect(py).toEqual({
      property: "",
      reason: 'rotation.every_days must be a whole number of days from 1 to 3650, not the string "thirty"; use rotation={"every_days": <days>, "before_end_days": <days>, "overlap_days": <days>} (whole days)',
    });
    const [go] = refusals({ name: "t", rotation: { everyDays: 0 } }, "go");
    expect(go).toEqual({
      property: "",
      reason:
        "Rotation.EveryDays must be a whole number of days from 1 to 3650, not the number 0; use Rotation: &commvault.AccessTokenRotationArgs{EveryDays: pulumi.Int(<days>), BeforeEndDays: pulumi.Int(<days>), OverlapDays: pulumi.Int(<days>)} (whole days)",
    });
    const [flag] = refusals({ name: "t", adopt: { byName: "yes" } }, "python");
    expect(flag!.reason).toBe('adopt.by_name must be True or False, not the string "yes"; use adopt={"token_id": <id>} or adopt={"by_name": True}, and "then_rotate": True to issue a known secret at once');
  });

  test("top-level refusals keep every word, with fields, literals and lists in the language's spelling", () => {
    expect(refusals({ name: "t", renewableFor: 90 }, "python")).toEqual([
      { property: "", reason: 'renewable_for must be a number of days as text such as "90d", not the number 90; use a number of days such as "90d" (All, Custom, Hyperscale; at most 364)' },
    ]);
    expect(refusals({ name: "t", apiEndpoints: ["/client"] }, "python")[0]!.reason).toBe('api_endpoints apply only to scope "Custom"; remove them or set scope="Custom"');
    expect(refusals({ name: "t", apiEndpoints: ["/client"] }, "go")[0]!.reason).toBe('ApiEndpoints apply only to scope "Custom"; remove them or set Scope: pulumi.String("Custom")');
    expect(refusals({ name: "t", scope: "Custom" }, "go")[0]!.reason).toBe(
      'ApiEndpoints: scope "Custom" needs ApiEndpoints; list API path prefixes, e.g. pulumi.StringArray{pulumi.String("/client"), pulumi.String("/v4/servergroup")}',
    );
    const [ip] = refusals({ name: "t", ipAllowlist: ["10.0.0.300"] }, "go");
    expect(ip!.reason).toMatch(/^IpAllowlist has entries that are not IPv4 or IPv6 addresses, CIDR blocks or a-b ranges: "10\.0\.0\.300" is not an IPv4 address .*e\.g\. pulumi\.StringArray\{pulumi\.String\("10\.0\.0\.0\/8"\), pulumi\.String\("2001:db8::1"\)\}$/);
    expect(refusals({ name: "t", renewableUntil: "2020-01-01T00:00:00Z" }, "python")[0]!.reason).toBe("renewable_until 2020-01-01T00:00:00Z is in the past; choose a time in the future");
  });

  test("a forbidden scope change keeps the TypeScript program's message, its fix in the language", () => {
    const olds = { name: "t", scope: "MicrosoftSCIM", expiresAt: "2027-01-01T00:00:00Z" };
    const news = { name: "t", scope: "All", renewableFor: "30d" };
    const ts = forbiddenScopeChangeMessage("MicrosoftSCIM", "All");
    expect(refusals(news, "python", olds)).toEqual([{ property: "", reason: ts.replace("set replaceOnForbiddenScopeChange: true", "set replace_on_forbidden_scope_change=True") }]);
    expect(refusals(news, "go", olds)).toEqual([{ property: "", reason: `S${ts.slice(1).replace("set replaceOnForbiddenScopeChange: true", "set ReplaceOnForbiddenScopeChange: pulumi.Bool(true)")}` }]);
    expect(refusals(news, "go", olds)[0]!.reason).toMatch(/^Scope cannot change from "MicrosoftSCIM" to "All"/);
    // A reason that starts with its field names it once, in Go's spelling (not `Name: name is empty`).
    expect(refusals({ name: "", scope: "All" }, "go")[0]!.reason).toMatch(/^Name is empty/);
    expect(refusals({ name: "", scope: "All" }, "python")[0]!.reason).toMatch(/^name is empty/);
    // TypeScript and YAML programs (and the dynamic provider) get the message as it was.
    expect(refusals(news, "yaml", olds)).toEqual([{ property: "scope", reason: ts }]);
  });

  test("with the language unknown: the schema's name, then its Python and Go spellings once", () => {
    expect(refusals({ name: "t", rotation: { everyDays: 0 } }, undefined)[0]).toEqual({
      property: "",
      reason:
        'rotation.everyDays (Python rotation={"every_days": ...}, Go Rotation: &commvault.AccessTokenRotationArgs{EveryDays: ...}) must be a whole number of days from 1 to 3650, not the number 0; use { everyDays?: number, beforeEndDays?: number, overlapDays?: number } (whole days)',
    });
    expect(refusals({ name: "t", rotation: { everyDayz: 1 } }, undefined)[0]!.reason).toBe(
      'rotation.everyDayz: `everyDayz` is not an AccessToken rotation input; did you mean `everyDays`? (Python rotation={"every_days": ...}, Go Rotation: &commvault.AccessTokenRotationArgs{EveryDays: ...})',
    );
    // A top-level field keeps its property (the engine shows the value) and gains the spellings.
    expect(refusals({ name: "t", renewableFor: 90 }, undefined)[0]).toEqual({
      property: "renewableFor",
      reason: 'renewableFor (Python renewable_for=..., Go RenewableFor: ...) must be a number of days as text such as "90d", not the number 90; use a number of days such as "90d" (All, Custom, Hyperscale; at most 364)',
    });
  });

  test("words that are not fields stay as written", () => {
    expect(translate("check name, or adopt by adopt.tokenId; e.g. the tokenName of Commvault's API", "go")).toBe("check name, or adopt by Adopt.TokenId; e.g. the tokenName of Commvault's API");
    expect(spell("sealTo[2]", "python")).toBe("seal_to[2]");
    expect(spell("rotation.every_dayz", "go")).toBe("Rotation.every_dayz");
  });

  test("a snake_case typo finds its camelCase key; Python's untranslated nested key says Python", () => {
    expect(nearest("before_end_dayz", ["everyDays", "beforeEndDays", "overlapDays"])).toBe("beforeEndDays");
    expect(looksLikePython({ rotation: { every_dayz: 1 } })).toBe(true);
    expect(looksLikePython({ rotation: { everyDayz: 1 }, name: "a_b" })).toBe(false);
  });
});

describe("the program's language, from the project the engine starts the plugin in", () => {
  const project = (text: string | undefined, file = "Pulumi.yaml") => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "speak-"));
    if (text !== undefined) fs.writeFileSync(path.join(dir, file), text);
    return dir;
  };
  test("runtime as a word or with options", () => {
    expect(projectLanguage(project("name: p\nruntime: go\n"), {})).toBe("go");
    expect(projectLanguage(project("name: p\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"), {})).toBe("python");
    expect(projectLanguage(project("name: p\nruntime: yaml # plain\n", "Pulumi.yml"), {})).toBe("yaml");
    expect(projectLanguage(project("name: p\nruntime: {name: python, options: {virtualenv: venv}}\n"), {})).toBe("python");
    expect(projectLanguage(project('name: p\nruntime: "go"\n'), {})).toBe("go");
    expect(projectLanguage(project("name: p\nruntime: dotnet\n"), {})).toBeUndefined();
  });
  test("without a project: Python's host variable, else unknown", () => {
    expect(projectLanguage(project(undefined), { PULUMI_RUNTIME_VIRTUALENV: "/v" })).toBe("python");
    expect(projectLanguage(project(undefined), {})).toBeUndefined();
  });
});

describe("the spellings of an unknown language go after the field's own name, not inside another word", () => {
  test("a scope refusal", () => {
    const [f] = localize([{ property: "scope", reason: 'microscope: scope "X" is not a scope' }], undefined);
    expect(f!.reason).toBe('microscope: scope (Python scope=..., Go Scope: ...) "X" is not a scope');
  });
});

describe("what the user wrote stays as written", () => {
  test("a quoted value is never respelled; a boolean shown as the program writes it", () => {
    expect(refusals({ name: "t", rotationTrigger: "renewableFor".repeat(30) }, "python")[0]!.reason).toMatch(/^rotation_trigger "renewableForrenewableFor/);
    expect(refusals({ name: true }, "python")[0]!.reason).toMatch(/^name must be a string, not True; set name to/);
  });
});

describe("the core's errors and notes through the plugin, in the program's spelling", () => {
  test("an owner the logged-in user cannot see is named as the program wrote it", () => {
    const byName = 'userName "nobody" is not a Commvault user the logged-in user can see; check the owner\'s id or name in Command Center (Manage > Security > Users)';
    expect(spoken(byName, "python")).toMatch(/^user_name "nobody" is not a Commvault user/);
    expect(spoken(byName, "go")).toMatch(/^UserName "nobody" is not a Commvault user/);
    expect(spoken("userId 22 is not a Commvault user the logged-in user can see", "python")).toMatch(/^user_id 22 /);
    expect(spoken("userId 22 is not a Commvault user the logged-in user can see", "go")).toMatch(/^UserId 22 /);
    expect(spoken(byName, "nodejs")).toBe(byName);
    expect(spoken(byName, "yaml")).toBe(byName);
  });

  test("a note's fields too, its quoted values and commands as they are", () => {
    const note = 'access token "renewableFor" (id 102): renewableFor changed 90d => 120d: `pulumi up` extends it in place to a 120d life from today: renewableUntil 2027-03-06T00:00:00Z => 2027-04-05T00:00:00Z (same id, same secret)';
    expect(spoken(note, "python")).toBe(note.replace("renewableFor changed", "renewable_for changed").replace("renewableUntil 2027", "renewable_until 2027"));
    expect(spoken(note, "go")).toBe(note.replace("renewableFor changed", "RenewableFor changed").replace("renewableUntil 2027", "RenewableUntil 2027"));
  });
});
