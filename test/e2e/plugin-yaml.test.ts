import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { forbiddenScopeChangeMessage } from "../../provider/model/scope";
import { VERSION } from "../../plugin/server";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ADMIN, SVC_REPORTING, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { DAY } from "../helpers/time";

jest.setTimeout(300_000);

/** Only the installed plugin: never the one linked beside the CLI, nor one on PATH. */
const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
const all = (r: CliResult) => r.stdout + r.stderr;

/**
 * Issue 15 items 2 and 3 under the plain `pulumi` CLI: the plugin tarball installed with
 * `pulumi plugin install`, and examples/yaml run as a user runs it against the emulator.
 */
describe("end to end: examples/yaml through the installed plugin", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const pulumi = (args: string[], env: NodeJS.ProcessEnv = {}) => cli.pulumi(dir, args, { ...NO_AMBIENT, ...env });
  const tokens = () => h.running.emulator.store.data.tokens;
  const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && /accesstoken/i.test(e.path)).length;
  const edit = (from: string, to: string) => {
    const file = path.join(dir, "Pulumi.yaml");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain(from);
    fs.writeFileSync(file, text.replace(from, to));
  };

  beforeAll(async () => {
    cli = plainCli();
    const tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "plugin-"));
    const tarball = execFileSync("bash", [path.join(ROOT, "scripts/build-plugin.sh"), tmp], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
    ok(await cli.pulumi(tmp, ["plugin", "install", "resource", "commvault", VERSION, "-f", tarball], NO_AMBIENT));
    dir = fs.mkdtempSync(path.join(tmp, "yaml-"));
    fs.cpSync(path.join(ROOT, "examples/yaml"), dir, { recursive: true });
    ok(await pulumi(["stack", "init", "dev"]));
    ok(await pulumi(["config", "set", "commvault:url", h.running.url]));
    ok(await pulumi(["config", "set", "--secret", "commvault:password", ADMIN.password]));
  });

  test("the installed plugin prints its schema", async () => {
    const schema = JSON.parse(ok(await pulumi(["package", "get-schema", "commvault"]))) as { version: string; resources: object };
    expect(schema.version).toBe(VERSION);
    expect(Object.keys(schema.resources)).toEqual(["commvault:index:AccessToken"]);
  });

  test("up creates a token of each scope, for the admin and for a service account", async () => {
    const up = ok(await pulumi(["up", "--yes", "--skip-preview"]));
    expect(up).not.toMatch(/from \$PATH/);
    const made = tokens().map((t) => [t.tokenName, t.tokenType, t.userId]).sort();
    expect(made).toEqual([["yaml-ci", 2, ADMIN.userId], ["yaml-reports", 3, SVC_REPORTING], ["yaml-scim", 1, ADMIN.userId]]);
    ok(await pulumi(["preview", "--expect-no-changes"]));
  });

  test("preview --diff shows each changed field as old => new, and up makes it one PUT", async () => {
    edit("name: yaml-ci", "name: yaml-ci-2");
    edit('ipAllowlist: ["10.20.0.0/16"', 'ipAllowlist: ["10.30.0.0/16"');
    const preview = ok(await pulumi(["preview", "--diff"]));
    expect(preview).toMatch(/~ name\s*: "yaml-ci" => "yaml-ci-2"/);
    expect(preview).toMatch(/~ \[0\]: "10\.20\.0\.0\/16" => "10\.30\.0\.0\/16"/);
    const before = writes();
    ok(await pulumi(["up", "--yes", "--skip-preview"]));
    expect(writes() - before).toBe(1);
    expect(tokens().find((t) => t.tokenName === "yaml-ci-2")?.allowedIPs).toContain("10.30.0.0/16");
  });

  test("a forbidden scope change is refused at preview with the TypeScript program's message; nothing is written", async () => {
    edit("scope: MicrosoftSCIM", "scope: All");
    edit("expiresIn: 30d", "renewableFor: 30d");
    const before = writes();
    const r = await pulumi(["preview"]);
    expect(r.code).not.toBe(0);
    expect(all(r).replace(/\s+/g, " ")).toContain(`commvault:index:AccessToken resource 'scim': property scope value {All} has a problem: ${forbiddenScopeChangeMessage("MicrosoftSCIM", "All")}`);
    expect(writes()).toBe(before);
    edit("scope: All", "scope: MicrosoftSCIM");
    edit("renewableFor: 30d", "expiresIn: 30d");
  });

  test("a hand edit fails `preview --refresh --expect-no-changes` with exit 7; `up --refresh` puts it back", async () => {
    const ci = tokens().find((t) => t.tokenName === "yaml-ci-2")!;
    expect((await h.api.call("PUT", `/V4/AccessToken/${ci.accessTokenId}`, { token: h.admin, body: { tokenName: "by-hand" } })).status).toBe(200);
    const gate = await pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"]);
    expect(gate.code).toBe(7);
    expect(gate.stdout).toMatch(/name\s*: "yaml-ci-2" => "by-hand"/);
    ok(await pulumi(["up", "--refresh", "--yes", "--skip-preview"]));
    expect(tokens().find((t) => t.accessTokenId === ci.accessTokenId)?.tokenName).toBe("yaml-ci-2");
    ok(await pulumi(["preview", "--refresh", "--expect-no-changes"]));
  });

  test("secrets are ciphertext in `pulumi stack export`: no token's secret and no password in it", async () => {
    const exported = ok(await pulumi(["stack", "export"]));
    const state = JSON.parse(exported) as { deployment: { resources: { type: string; outputs: Record<string, unknown> }[] } };
    const ci = state.deployment.resources.find((r) => r.type === "commvault:index:AccessToken" && r.outputs.name === "yaml-ci-2")!;
    expect(ci.outputs.accessToken).toMatchObject({ ciphertext: expect.any(String) });
    expect(ci.outputs.refreshToken).toMatchObject({ ciphertext: expect.any(String) });
    for (const t of tokens()) {
      expect(exported).not.toContain(t.accessToken);
      if (t.refreshToken) expect(exported).not.toContain(t.refreshToken);
    }
    expect(exported).not.toContain(ADMIN.password);
  });

  test("a token adopted by name is replaced by a new token when a replacement is asked for, though the program still says adopt", async () => {
    // The engine checks a resource it replaces again as if it were new (no old inputs); that check
    // used to take adopt at its word and refuse the resource's own token as managed twice.
    const made = (await h.api.create(h.admin, { tokenName: "yaml-adopted" })).body.tokenInfo as { accessTokenId: number };
    edit("resources:\n", "resources:\n  adopted:\n    type: commvault:AccessToken\n    properties:\n      name: yaml-adopted\n      adopt: { byName: true }\n\n");
    ok(await pulumi(["up", "--yes"]));
    edit("      adopt: { byName: true }\n", "      adopt: { byName: true }\n      scope: MicrosoftSCIM\n      replaceOnForbiddenScopeChange: true\n");
    const p = await pulumi(["preview", "--diff"]);
    expect(p.code).toBe(0);
    expect(all(p)).not.toMatch(/already managed by/);
    expect(all(p)).toMatch(/\+-commvault:index:AccessToken: \(replace\)\s+\[id=[^\]]+\]\s+\[urn=[^\]]+::adopted\]/);
    ok(await pulumi(["up", "--yes"]));
    const now = tokens().filter((t) => t.tokenName === "yaml-adopted");
    expect(now).toHaveLength(1);
    expect(now[0]!.accessTokenId).not.toBe(made.accessTokenId);
    expect(now[0]!.tokenType).toBe(1);
    ok(await pulumi(["preview", "--expect-no-changes"]));
  });

  test("the core's notes reach the run's output under the resource: a dead SCIM token, and what up does", async () => {
    const later = Math.floor(Date.now() / 1000) + 40 * DAY;
    h.running.emulator.clock.set(later);
    const r = await pulumi(["preview", "--refresh"], { COMMVAULT_TOKENS_NOW: String(later) });
    expect(all(r)).toMatch(/warning: access token "yaml-scim" \(id \d+\) is dead: expired \S+ has passed; `pulumi up` extends it in place to \S+ \(same id, same secret\)/);
    expect(all(r)).toMatch(/commvault:index:AccessToken \(scim\):\s+warning: access token "yaml-scim"/);
  });

  test("destroy revokes every token", async () => {
    ok(await pulumi(["destroy", "--yes", "--skip-preview"]));
    expect(tokens()).toEqual([]);
  });
});
