import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type PlainCli } from "../helpers/cli";

jest.setTimeout(600_000);

const NODE_PROGRAM = `"use strict";
const { AccessToken } = require("pulumi-commvault-tokens");
new AccessToken("a", { name: "settle-preview" });
`;
const YAML_PROGRAM = "name: settle-yaml\nruntime: yaml\nresources:\n  a:\n    type: commvault:AccessToken\n    properties:\n      name: settle-preview-yaml\n";

const DOORS: [string, (cli: PlainCli) => string][] = [
  ["Node.js program (dynamic provider)", (cli) => cli.program({ "index.js": NODE_PROGRAM, "Pulumi.yaml": "name: settle-node\nruntime: nodejs\n" })],
  // The plugin linked beside the CLI serves this checkout's core.
  ["YAML program through the plugin", (cli) => cli.program({ "Pulumi.yaml": YAML_PROGRAM })],
];

/** A malformed COMMVAULT_TOKENS_SETTLE is said by `pulumi preview`, not first by `up`; nothing is written. */
describe.each(DOORS)("end to end: a malformed COMMVAULT_TOKENS_SETTLE at preview, %s", (_door, setUp) => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;

  beforeAll(async () => {
    cli = plainCli();
    dir = setUp(cli);
    ok(await cli.pulumi(dir, ["stack", "init", "dev"]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", h.running.url]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", ADMIN.username]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", ADMIN.password]));
    expect(fs.existsSync(path.join(dir, "Pulumi.yaml"))).toBe(true);
  });

  test.each(["abc", "146;rm"])("%s: the preview warns with the fix; nothing is written", async (value) => {
    h.running.emulator.log.length = 0;
    const r = await cli.pulumi(dir, ["preview"], { COMMVAULT_TOKENS_SETTLE: value });
    const text = (r.stdout + r.stderr).replace(/\s+/g, " ");
    expect(text).toContain(`COMMVAULT_TOKENS_SETTLE must be token ids separated by commas (e.g. COMMVAULT_TOKENS_SETTLE=102,107), got "${value}" in "${value}"; unset it or list only the ids the refusal named`);
    expect(h.running.emulator.log.filter((e) => e.method !== "GET" && e.path !== "/login")).toEqual([]);
  });
});
