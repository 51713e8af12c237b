import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";

jest.setTimeout(300_000);

/**
 * A JavaScript program has no compiler to catch a misspelled input: the plain `pulumi` CLI and
 * its Node.js language host run index.js with the packed package installed, and the preview must
 * fail naming the key and the input meant, before anything reaches Commvault. Also when the
 * misspelled key's value is another resource's output, still unknown at preview.
 */
describe("end to end: a key that is not an input fails the preview of a JavaScript program", () => {
  const h = useEmulator();
  let cli: PlainCli;

  beforeAll(() => {
    cli = plainCli();
  });

  /** Previews `index.js` on a fresh stack; returns the CLI's output, whitespace folded. */
  async function preview(stack: string, program: string): Promise<{ code: number; output: string }> {
    const dir = cli.program({
      "Pulumi.yaml": "name: strict-inputs\nruntime: nodejs\ndescription: A JavaScript program with a misspelled input\n",
      "package.json": JSON.stringify({ name: "strict-inputs", main: "index.js" }),
      "index.js": `"use strict";\nconst { AccessToken } = require("pulumi-commvault-tokens");\n${program}\n`,
    });
    ok(await cli.pulumi(dir, ["stack", "init", stack]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", h.running.url]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", ADMIN.username]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", ADMIN.password]));
    const r = await cli.pulumi(dir, ["preview"]);
    return { code: r.code, output: `${r.stdout}\n${r.stderr}`.replace(/\s+/g, " ") };
  }

  /** Nothing was written: no token, and no call but a login or a read. */
  function nothingWritten(): void {
    expect(h.running.emulator.store.data.tokens).toEqual([]);
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && !/login/i.test(e.path))).toEqual([]);
  }

  test("a misspelled input and an output given as an input", async () => {
    const { code, output } = await preview(
      "typo",
      `new AccessToken("nightly", { name: "nightly-backup", renewablUntil: "2027-01-01T00:00:00Z", tokenId: 104 });`,
    );
    expect(code).not.toBe(0);
    expect(output).toContain("`renewablUntil` is not an AccessToken input; did you mean `renewableUntil`?");
    expect(output).toContain("`tokenId` is an output of AccessToken, set by Commvault, not an input; remove it");
    expect(output).toMatch(/AccessToken resource 'nightly': property renewablUntil value/);
    nothingWritten();
  });

  test("a misspelled input whose value is another resource's output, unknown at preview", async () => {
    const { code, output } = await preview(
      "typo-unknown",
      [
        `const base = new AccessToken("base", { name: "base" });`,
        `// base.tokenId is unknown until base is created: the key, not the value, is what is wrong.`,
        `new AccessToken("derived", { name: "derived", ipAllowList: base.tokenId.apply(() => ["10.0.0.1"]) });`,
      ].join("\n"),
    );
    expect(code).not.toBe(0);
    expect(output).toMatch(/AccessToken resource 'derived': property ipAllowList value output<string>\{\} has a problem: `ipAllowList` is not an AccessToken input; did you mean `ipAllowlist`\?/);
    // The resource without a typo is not blamed.
    expect(output).not.toMatch(/resource 'base': property/);
    nothingWritten();
  });
});
