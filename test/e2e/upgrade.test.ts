import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../helpers/pack";
import { ok, plainCli } from "../helpers/cli";

jest.setTimeout(300_000);

/**
 * State written by an earlier version (test/fixtures/state-*, placeholder secrets) previews with no
 * changes under the current package: an upgrade never updates, replaces or rotates a token.
 * state-0.1.0 is release 0.1.0's; state-main is main's before issue 22 cut what state holds per
 * token (its `__provider` is the SDK's long closure text, the new one a one-line require).
 */
const FIXTURES = [
  { name: "0.1.0", dir: "state-0.1.0", url: "http://127.0.0.1:8471/commandcenter/api", now: "2026-11-30T00:00:00Z", unchanged: 7 },
  { name: "main before issue 22", dir: "state-main", url: "http://127.0.0.1:8473/commandcenter/api", now: "2026-12-07T00:00:00Z", unchanged: 10 },
];

describe("end to end: state written by an earlier version", () => {
  test.each(FIXTURES)("$name's state previews with no changes after the upgrade", async ({ dir: fixtureDir, url, now, unchanged }) => {
    const fixture = path.join(ROOT, "test/fixtures", fixtureDir);
    const cli = plainCli("e2e-passphrase-not-a-secret");
    const dir = cli.program({
      "index.js": fs.readFileSync(path.join(fixture, "index.js"), "utf8"),
      "Pulumi.yaml": fs.readFileSync(path.join(fixture, "Pulumi.yaml"), "utf8"),
    });
    ok(await cli.pulumi(dir, ["stack", "init", "dev"]));
    ok(await cli.pulumi(dir, ["stack", "import", "--file", path.join(fixture, "state.json")]));
    // The configuration the state was written with: a changed setting is not what this tests.
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", url]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", "admin"]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", "placeholder-commvault:password"]));
    const preview = await cli.pulumi(dir, ["preview", "--expect-no-changes", "--diff"], { COMMVAULT_TOKENS_NOW: now });
    expect(preview.stdout + preview.stderr).not.toMatch(/error:/);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(new RegExp(`${unchanged} unchanged`));
  });
});
