import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../helpers/pack";
import { ok, plainCli } from "../helpers/cli";

jest.setTimeout(300_000);

const FIXTURE = path.join(ROOT, "test/fixtures/state-0.1.0");

/**
 * State written by release 0.1.0 (test/fixtures/state-0.1.0, placeholder secrets) previews with no
 * changes under the current package: an upgrade never updates, replaces or rotates a token.
 */
describe("end to end: state written by an earlier release", () => {
  test("0.1.0's state previews with no changes after the upgrade", async () => {
    const cli = plainCli("e2e-passphrase-not-a-secret");
    const dir = cli.program({
      "index.js": fs.readFileSync(path.join(FIXTURE, "index.js"), "utf8"),
      "Pulumi.yaml": fs.readFileSync(path.join(FIXTURE, "Pulumi.yaml"), "utf8"),
    });
    ok(await cli.pulumi(dir, ["stack", "init", "dev"]));
    ok(await cli.pulumi(dir, ["stack", "import", "--file", path.join(FIXTURE, "state.json")]));
    // The configuration the state was written with: a changed setting is not what this tests.
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", "http://127.0.0.1:8471/commandcenter/api"]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", "admin"]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", "placeholder-commvault:password"]));
    const preview = await cli.pulumi(dir, ["preview", "--expect-no-changes", "--diff"], { COMMVAULT_TOKENS_NOW: "2026-11-30T00:00:00Z" });
    expect(preview.stdout + preview.stderr).not.toMatch(/error:/);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/7 unchanged/);
  });
});
