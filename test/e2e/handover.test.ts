import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

const PACK = path.join(ROOT, "policy", "pack");

const NODE_PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
for (const [key, args] of Object.entries(JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8")))) new AccessToken(key, args);
`;

/** A YAML program through the plugin (linked beside the CLI, serving this checkout's core). */
const yaml = (resources: Record<string, Record<string, unknown>>) =>
  "name: handover-yaml\nruntime: yaml\nresources:\n" +
  Object.entries(resources)
    .map(([key, props]) => `  ${key}:\n    type: commvault:AccessToken\n    properties: ${JSON.stringify(props)}\n`)
    .join("");

interface Door {
  name: string;
  tokenName: string;
  setUp(cli: PlainCli): string;
  declare(dir: string, resources: Record<string, Record<string, unknown>>): void;
  /** How the delete's warning names the dropped resource and its adopter. */
  dropped: string;
  adopter: string;
  /** The adopter's URN, for `--target`. */
  adopterUrn: string;
}

const DOORS: Door[] = [
  {
    name: "Node.js program (dynamic provider)",
    tokenName: "made-here",
    setUp: (cli) => cli.program({ "index.js": NODE_PROGRAM, "Pulumi.yaml": "name: handover-node\nruntime: nodejs\n", "package.json": '{"name":"handover","private":true}', "spec.json": "{}" }),
    declare: (dir, resources) => fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(resources)),
    // Delete gets only the dropped resource's outputs: named by its token; the adopter by its logical name.
    dropped: 'the resource of access token "made-here"',
    adopter: 'resource "d1"',
    adopterUrn: "urn:pulumi:dev::handover-node::pulumi-nodejs:dynamic/commvault:AccessToken::d1",
  },
  {
    name: "YAML program through the plugin",
    tokenName: "made-here-yaml",
    setUp: (cli) => cli.program({ "Pulumi.yaml": yaml({}) }),
    declare: (dir, resources) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml(resources)),
    dropped: "resource urn:pulumi:dev::handover-yaml::commvault:index:AccessToken::c1",
    adopter: "resource urn:pulumi:dev::handover-yaml::commvault:index:AccessToken::d1",
    adopterUrn: "urn:pulumi:dev::handover-yaml::commvault:index:AccessToken::d1",
  },
];

/**
 * Issue 19 item 5, a hand-over under the plain CLI: one `up` drops a resource and adopts its token
 * with a new one. The engine runs the create (the adoption) before the delete; the delete leaves
 * the adopted token alone and says so, so the new resource holds a live token and the drift gate
 * passes. A later destroy revokes it as always.
 */
describe.each(DOORS)("end to end: a token handed over between resources in one up, $name", (door) => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (...args: string[]) => cli.pulumi(dir, args);
  const out = (r: CliResult) => r.stdout + r.stderr;
  const live = (id: number) => h.running.emulator.store.data.tokens.some((t) => t.accessTokenId === id);
  const inState = async () =>
    (JSON.parse(ok(await pulumi("stack", "export"))).deployment.resources ?? [])
      .filter((r: { type: string }) => r.type.endsWith(":AccessToken"))
      .map((r: { urn: string; outputs: { tokenId: number } }) => [r.urn.split("::").pop(), r.outputs.tokenId]);

  beforeAll(async () => {
    execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
    dir = door.setUp(cli);
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
  });

  test("the dropped resource's delete does not revoke the token the new one adopted; the drift gate passes; destroy revokes it", async () => {
    // Custom, so that the policy pack's mandatory rules (an All token rotates) have nothing to say.
    const token = { name: door.tokenName, scope: "Custom", apiEndpoints: ["/client"] };
    door.declare(dir, { c1: token });
    ok(await pulumi("up", "--yes", "--skip-preview"));
    const [[, id]] = (await inState()) as [string, number][];
    expect(live(id!)).toBe(true);

    door.declare(dir, { d1: { ...token, adopt: { byName: true } } });
    // The preview plans the hand-over, and the pack's mandatory rule sees one resource per token.
    const preview = await pulumi("preview", "--policy-pack", PACK);
    ok(preview);
    expect(out(preview)).toMatch(/\+\s+\S+\s+d1\s+create/);
    expect(out(preview)).toMatch(/-\s+\S+\s+c1\s+delete/);
    expect(out(preview)).not.toMatch(/one-resource-per-token/);

    h.running.emulator.log.length = 0;
    // Both ways: with the policy pack, and without it.
    const up = await pulumi("up", "--yes", "--skip-preview", ...(door.name.startsWith("Node") ? ["--policy-pack", PACK] : []));
    ok(up);
    expect(out(up).replace(/\s+/g, " ")).toContain(`access token ${id} of ${door.dropped} was handed over to ${door.adopter} in this run; not revoked: that resource manages it now`);
    expect(h.running.emulator.log.filter((e) => e.method === "DELETE").map((e) => e.path)).toEqual([]);
    expect(live(id!)).toBe(true);
    expect(await inState()).toEqual([["d1", id]]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));

    // No adoption in this run: the delete revokes.
    ok(await pulumi("destroy", "--yes", "--skip-preview"));
    expect(live(id!)).toBe(false);
  });

  test("a hand-over cut short (state holds both, as after --target): the next up deletes the dropped one and leaves the token to the declared one", async () => {
    const token = { name: door.tokenName, scope: "Custom", apiEndpoints: ["/client"] };
    door.declare(dir, { c1: token });
    ok(await pulumi("up", "--yes", "--skip-preview"));
    const [[, id]] = (await inState()) as [string, number][];
    door.declare(dir, { d1: { ...token, adopt: { byName: true } } });
    // Only the adoption: the dropped resource stays in state, as when the run is killed before its delete.
    ok(await pulumi("up", "--yes", "--skip-preview", "--target", door.adopterUrn));
    expect((await inState()).sort()).toEqual([["c1", id], ["d1", id]]);
    h.running.emulator.log.length = 0;
    // With the policy pack (which sees only the declared resource), and without it.
    const up = await pulumi("up", "--yes", ...(door.name.startsWith("YAML") ? ["--policy-pack", PACK] : []));
    ok(up);
    expect(out(up).replace(/\s+/g, " ")).toContain(`access token ${id} of ${door.dropped} is also held by ${door.adopter}, which the program declares; not revoked: that resource manages it (a hand-over cut short before this delete)`);
    expect(h.running.emulator.log.filter((e) => e.method === "DELETE")).toEqual([]);
    expect(live(id!)).toBe(true);
    expect(await inState()).toEqual([["d1", id]]);
    ok(await pulumi("preview", "--refresh", "--expect-no-changes"));
    ok(await pulumi("destroy", "--yes", "--skip-preview"));
    expect(live(id!)).toBe(false);
  });
});
