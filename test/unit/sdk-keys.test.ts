import * as pulumi from "@pulumi/pulumi";
import { checkInputs } from "../../provider/model/inputs";

// The SDK loads the provider by package name; here a plain object stands in, since only what the
// SDK registers is under test.
jest.mock("pulumi-commvault-tokens/provider", () => ({ check: async () => ({}) }), { virtual: true });

const registered: Record<string, unknown>[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push(args.inputs as Record<string, unknown>);
      return { id: "1:1", state: args.inputs };
    },
    call: () => ({}),
  },
  "sdk-keys",
  "test",
  false,
);

// Imported after the mocks are in place, as a program would run.
import { AccessToken } from "../../sdk";
import { PROVIDER_MODULE } from "../../sdk/access-token";

async function inputsOf(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  registered.length = 0;
  const token = new AccessToken("t", args as never);
  await new Promise<void>((resolve) => token.urn.apply(() => resolve()));
  // The logical name, for the provider's messages (the engine tells a dynamic provider no URN).
  const { __provider: _p, __resource: name, ...inputs } = registered[0]!;
  expect(name).toBe("t");
  return inputs;
}

const NOW = Date.UTC(2026, 10, 28) / 1000;

describe("the AccessToken class passes every key on, for check to judge", () => {
  test("a misspelled input reaches check, which names it and the input meant", async () => {
    const inputs = await inputsOf({ name: "ci", renewablUntil: "2027-01-01T00:00:00Z" });
    expect(inputs).toEqual({ name: "ci", renewablUntil: "2027-01-01T00:00:00Z" });
    expect(checkInputs(undefined, inputs, NOW).failures).toEqual([
      { property: "renewablUntil", reason: expect.stringMatching(/^`renewablUntil` is not an AccessToken input; did you mean `renewableUntil`\?/) },
    ]);
  });

  test("an output key given by the user is sent, not replaced by the SDK's placeholder, and refused", async () => {
    const inputs = await inputsOf({ name: "ci", tokenId: 104, accessToken: "x" });
    expect(inputs).toEqual({ name: "ci", tokenId: 104, accessToken: "x" });
    const failures = checkInputs(undefined, inputs, NOW).failures;
    expect(failures.map((f) => f.property).sort()).toEqual(["accessToken", "tokenId"]);
    expect(failures.find((f) => f.property === "tokenId")!.reason).toMatch(/`tokenId` is an output of AccessToken, set by Commvault, not an input; remove it/);
  });

  test("keys every object inherits are not inputs either", async () => {
    const inputs = await inputsOf({ name: "ci", constructor: "x", toString: "y" });
    expect(checkInputs(undefined, inputs, NOW).failures.map((f) => f.property).sort()).toEqual(["constructor", "toString"]);
  });

  test("outputs left out of args still resolve (each has a resolver), and undefined keys are not sent", async () => {
    const token = new AccessToken("u", { name: "ci", userName: undefined });
    const scope = await new Promise((resolve) => token.scope.apply(resolve));
    // The mock echoes the inputs as state: a key that was sent would read back here.
    expect(scope).toBeUndefined();
    expect(Object.keys(registered.at(-1)!).sort()).toEqual(["__provider", "__resource", "name"]);
  });

  test("it registers as a dynamic resource with the one-line __provider, and is still a pulumi.dynamic.Resource", async () => {
    const token = new AccessToken("w", { name: "ci" });
    await new Promise<void>((resolve) => token.urn.apply(() => resolve()));
    expect(registered.at(-1)!.__provider).toBe(PROVIDER_MODULE);
    expect(token).toBeInstanceOf(pulumi.dynamic.Resource);
    expect(token).toBeInstanceOf(pulumi.CustomResource);
  });

  test("accessToken and refreshToken read from the one secret value state keeps, or from their own keys in state written before", async () => {
    // The mock echoes the inputs as state: these stand for what the engine would give back.
    const read = (t: AccessToken) => new Promise<unknown[]>((resolve) => pulumi.all([t.accessToken, t.refreshToken]).apply(resolve));
    expect(await read(new AccessToken("p1", { name: "ci", __secrets: { accessToken: "at", refreshToken: "rt" } } as never))).toEqual(["at", "rt"]);
    expect(await read(new AccessToken("p2", { name: "ci", accessToken: "old-at", refreshToken: "old-rt" } as never))).toEqual(["old-at", "old-rt"]);
    const none = new AccessToken("p3", { name: "ci" });
    expect(await read(none)).toEqual([undefined, undefined]);
    // Secret when set; an absent one (a MicrosoftSCIM token's refreshToken) is plain undefined, as before.
    const scim = new AccessToken("p4", { name: "ci", __secrets: { accessToken: "at" } } as never);
    expect(await read(scim)).toEqual(["at", undefined]);
    expect([await pulumi.isSecret(scim.accessToken), await pulumi.isSecret(scim.refreshToken), await pulumi.isSecret(none.accessToken)]).toEqual([true, false, false]);
  });

  test.each(["id", "urn"])("`%s`, which Pulumi's SDK would drop unseen, fails at construction", (key) => {
    expect(() => new AccessToken("v", { name: "ci", [key]: "x" } as never)).toThrow(new RegExp(`\`${key}\` is not an AccessToken input`));
  });

  test("`__proto__` (as JSON.parse makes it) and `hasOwnProperty`, which Pulumi's SDK would apply or trip on, fail at construction", () => {
    expect(() => new AccessToken("p", JSON.parse('{"name":"p","__proto__":{"scope":"Custom"}}'))).toThrow(/`__proto__` is not an AccessToken input/);
    expect(() => new AccessToken("q", { name: "q", hasOwnProperty: 1 } as never)).toThrow(/`hasOwnProperty` is not an AccessToken input/);
  });
});

/**
 * TypeScript programs keep their compile-time check: `npm run typecheck` compiles this file, and
 * each @ts-expect-error fails the build if the typo were ever accepted. Never called.
 */
export function typoDoesNotCompile(): void {
  // @ts-expect-error renewablUntil is not in AccessTokenArgs
  new AccessToken("t", { name: "ci", renewablUntil: "2027-01-01T00:00:00Z" });
  // @ts-expect-error tokenId is an output, not an argument
  new AccessToken("t", { name: "ci", tokenId: 104 });
}
