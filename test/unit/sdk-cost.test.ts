import * as pulumi from "@pulumi/pulumi";

// The SDK loads the provider by package name; a plain object stands in (only the SDK is under test).
jest.mock("pulumi-commvault-tokens/provider", () => ({ check: async () => ({}) }), { virtual: true });

pulumi.runtime.setMocks({ newResource: (args) => ({ id: "1:1", state: args.inputs }), call: () => ({}) }, "sdk-cost", "test", false);

import { AccessToken } from "../../sdk";

/**
 * The constructor captures no stack frames while Pulumi's SDK makes its per-output promises (the
 * cost measured in docs/benchmarks.md), and leaves nothing else changed: the limit is restored,
 * an error thrown from the constructor still says where the program made the resource, and every
 * output still resolves.
 */
describe("AccessToken construction costs no stack traces and changes nothing else", () => {
  test("Error.stackTraceLimit is restored after a construction, whatever it was", () => {
    const before = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 17;
      new AccessToken("a", { name: "a" });
      expect(Error.stackTraceLimit).toBe(17);
    } finally {
      Error.stackTraceLimit = before;
    }
  });

  test("an error thrown while constructing carries the program's stack and leaves the limit restored", () => {
    const before = Error.stackTraceLimit;
    let caught: Error | undefined;
    try {
      // Pulumi's SDK refuses a resource without a name, from inside the constructor.
      new AccessToken("", { name: "b" });
    } catch (e) {
      caught = e as Error;
    }
    expect(caught?.message).toMatch(/Missing resource name/);
    expect(caught?.stack).toContain("sdk-cost.test.ts");
    expect(Error.stackTraceLimit).toBe(before);
  });

  test("every output still resolves, the ones left out of args included", async () => {
    const token = new AccessToken("c", { name: "c", ipAllowlist: ["10.0.0.1"] });
    const [name, ips, id] = await new Promise<[string, string[], string]>((resolve) =>
      pulumi.all([token.name, token.ipAllowlist, token.id]).apply((v) => resolve(v as [string, string[], string])),
    );
    expect(name).toBe("c");
    expect(ips).toEqual(["10.0.0.1"]);
    expect(id).toBe("1:1");
    expect(pulumi.Output.isInstance(token.generation)).toBe(true);
    expect(pulumi.Output.isInstance(token.secretKnown)).toBe(true);
  });
});
