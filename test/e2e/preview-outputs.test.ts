import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";

jest.setTimeout(300_000);

// b follows a's outputs: a program that derives one token's settings from another's.
const PROGRAM = `"use strict";
const { AccessToken } = require("pulumi-commvault-tokens");
const a = new AccessToken("a", { name: process.env.A_NAME || "a" });
new AccessToken("b", { name: "b", scope: a.scope, ipAllowlist: a.ipAllowlist });
exports.aScope = a.scope;
`;

/**
 * At preview the provider makes nothing, and the engine gives a resource to be created or updated
 * its checked inputs as its outputs: an output that echoes an input is known at preview only when
 * check writes it into the inputs, defaults included. Measured when issue 22 tried leaving the
 * defaults (scope "All", an empty ipAllowlist) out of the stored inputs to save state: the first
 * preview showed them as unknown, and a rename of a previewed b as replaced (a new secret) while
 * `up` left b alone. This pins what users read at preview (docs/benchmarks.md).
 */
describe("end to end: outputs that echo inputs are known at preview", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (env: Record<string, string>, ...args: string[]) => cli.pulumi(dir, args, env);

  beforeAll(async () => {
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: echo\nruntime: nodejs\n" });
    ok(await pulumi({}, "stack", "init", "dev"));
    ok(await pulumi({}, "config", "set", "commvault:url", h.running.url));
    ok(await pulumi({}, "config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi({}, "config", "set", "--secret", "commvault:password", ADMIN.password));
  });

  test("a new stack's preview knows the defaults a token's outputs will hold", async () => {
    const preview = ok(await pulumi({}, "preview", "--diff"));
    expect(preview).toMatch(/aScope\s*:\s*"All"/);
    // b's inputs are a's outputs: known, so b's create shows them.
    expect(preview).toMatch(/AccessToken::b\]\n\s*ipAllowlist\s*:\s*\[\]\n\s*name\s*:\s*"b"\n\s*replaceOnForbiddenScopeChange\s*:\s*false\n\s*scope\s*:\s*"All"/);
    expect(preview).not.toMatch(/\[unknown\]/);
  });

  test("renaming a previews an update of a alone, not a replacement of b, and up agrees", async () => {
    ok(await pulumi({}, "up", "--yes", "--skip-preview"));
    const preview = ok(await pulumi({ A_NAME: "a2" }, "preview", "--diff"));
    expect(preview).toMatch(/~ 1 to update/);
    expect(preview).not.toMatch(/to replace/);
    expect(preview).not.toMatch(/\[unknown\]/);
    const up = ok(await pulumi({ A_NAME: "a2" }, "up", "--yes", "--skip-preview"));
    expect(up).toMatch(/~ 1 updated/);
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName).sort()).toEqual(["a2", "b"]);
  });
});
