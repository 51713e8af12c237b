import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ROOT } from "../helpers/pack";

jest.setTimeout(300_000);

const PACK = path.join(ROOT, "policy", "pack");

const PROGRAM = `"use strict";
const fs = require("fs");
const { AccessToken } = require("pulumi-commvault-tokens");
const spec = JSON.parse(fs.readFileSync(__dirname + "/spec.json", "utf8"));
for (const [key, args] of Object.entries(spec)) new AccessToken(key, args);
`;

/** A consumer's age recipient (a public key, made with age-keygen for this test). */
const RECIPIENT = "age1njhvr98pkg8tsthzz9yqys0hnus7davud09f7wyp2929jz0v2u5qetemg7";

/** Tokens that keep every rule: a service account's Custom token with an allow list, sealed to its consumer, and an All token that rotates. */
const CLEAN = {
  backup: { name: "backup", userName: "svc-backup", scope: "Custom", apiEndpoints: ["/client"], ipAllowlist: ["10.20.0.0/16"], renewableFor: "90d", sealTo: [RECIPIENT] },
  mine: { name: "mine", scope: "Custom", apiEndpoints: ["/job"] },
};

/**
 * Issue 10 item 2 under the plain `pulumi` CLI built by the project's install script: the policy
 * pack in policy/, given to the engine as `--policy-pack policy/pack`, judges what the provider's
 * check made of the program's inputs, against the emulator.
 */
describe("end to end: plain `pulumi preview --policy-pack policy/pack`", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;
  const posts = () => h.running.emulator.log.filter((e) => e.method === "POST" && /\/v4\/accesstoken$/i.test(e.path));
  const out = (r: CliResult) => r.stdout + r.stderr;
  async function preview(spec: object, ...args: string[]): Promise<CliResult> {
    fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
    return cli.pulumi(dir, ["preview", "--policy-pack", PACK, ...args]);
  }

  beforeAll(async () => {
    // The project's own install step for the pack (policy/node_modules, policy/dist); a no-op
    // but for the compile when it is up to date.
    execFileSync("bash", [path.join(ROOT, "scripts/install-policy.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
    dir = cli.program({ "index.js": PROGRAM, "Pulumi.yaml": "name: policy-e2e\nruntime: nodejs\n", "package.json": '{"name":"policy-e2e","private":true}', "spec.json": "{}" });
    ok(await cli.pulumi(dir, ["stack", "init", "dev"]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", h.running.url]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", ADMIN.username]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", ADMIN.password]));
  });

  test("a clean program passes, with no violation at all", async () => {
    const r = await preview(CLEAN);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/commvault-tokens@v0\.1\.0 \(local: .*policy\/pack\)/);
    expect(r.stdout).not.toMatch(/\[(mandatory|advisory)\]/);
  });

  test("a program that breaks mandatory rules fails the preview (exit 1), each violation naming the token and the fix; nothing is written", async () => {
    const before = posts().length;
    const r = await preview({
      ...CLEAN,
      bare: { name: "bare", userName: "svc-reporting", scope: "Custom", apiEndpoints: ["/client"] },
      open: { name: "open", scope: "Custom", apiEndpoints: ["/client"], ipAllowlist: ["0.0.0.0/1", "128.0.0.0/1"] },
      // A rolling lifetime: the rule sees the date check resolved it into.
      long: { name: "long", scope: "Custom", apiEndpoints: ["/client"], renewableFor: "300d" },
      all: { name: "all", ipAllowlist: ["10.0.0.0/8"] },
      twin: { name: "MINE", scope: "Custom", apiEndpoints: ["/job"] },
    });
    expect(r.code).toBe(1);
    const o = out(r);
    expect(o).toMatch(/\[mandatory\]\s+service-account-token-has-allowlist\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: bare\)[\s\S]*?access token "bare" belongs to the service account svc-reporting and has no ipAllowlist/);
    expect(o).toMatch(/\[mandatory\]\s+allowlist-not-open-to-all\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: open\)[\s\S]*?admits every IPv4 address \("0\.0\.0\.0\/1", "128\.0\.0\.0\/1"\)/);
    expect(o).toMatch(/\[mandatory\]\s+lifetime-within-cap\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: long\)[\s\S]*?access token "long" lives until \S+ \(renewableUntil\), 30\d days ahead, more than the 180 days allowed/);
    expect(o).toMatch(/\[mandatory\]\s+all-scope-token-rotates\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: all\)[\s\S]*?no rotation schedule/);
    expect(o).toMatch(/\[mandatory\]\s+unique-owner-and-name[\s\S]*?access token "(mine|MINE)" of the logged-in user has the same owner and name as the resource "(twin|mine)"/);
    expect(o).not.toMatch(/\[mandatory\][^\n]*: (backup|mine)\)/);
    expect(posts().length).toBe(before);
  });

  test("an advisory rule warns and the preview passes", async () => {
    const r = await preview({ ...CLEAN, all: { name: "all", ipAllowlist: ["10.0.0.0/8"], rotation: { everyDays: 60 } } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[advisory\]\s+prefer-custom-scope\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: all\)[\s\S]*?access token "all" has scope All/);
    expect(r.stdout).not.toMatch(/\[mandatory\]/);
  });

  test("a service account's token without sealTo gets the advisory to seal it; the preview passes", async () => {
    const r = await preview({ ...CLEAN, backup: { ...CLEAN.backup, sealTo: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[advisory\]\s+service-account-token-sealed\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: backup\)[\s\S]*?belongs to the service account svc-backup and its pair is not sealed/);
  });

  test("thresholds and levels come from --policy-pack-config", async () => {
    const config = path.join(dir, "policy-config.json");
    fs.writeFileSync(config, JSON.stringify({ "lifetime-within-cap": { maxDays: 30 }, "service-account-token-has-allowlist": { serviceAccountNames: ["alice-robot"] } }));
    const strict = await preview(CLEAN, "--policy-pack-config", config);
    expect(strict.code).toBe(1);
    expect(out(strict)).toMatch(/access token "backup" lives until \S+ \(renewableUntil\), \d+ days ahead, more than the 30 days allowed/);
    expect(out(strict)).toMatch(/access token "mine" sets no renewableUntil, so Commvault's default of 90 days applies, more than the 30 days allowed/);

    fs.writeFileSync(config, JSON.stringify({ "lifetime-within-cap": "advisory", "all-scope-token-rotates": "disabled" }));
    const relaxed = await preview({ long: { name: "long", scope: "Custom", apiEndpoints: ["/client"], renewableFor: "300d" }, all: { name: "all" } }, "--policy-pack-config", config);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toMatch(/\[advisory\]\s+lifetime-within-cap/);
    expect(relaxed.stdout).not.toMatch(/all-scope-token-rotates/);
  });

  test("pulumi up with the pack refuses a mandatory violation before anything is created, and creates a clean program", async () => {
    fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify({ ...CLEAN, open: { name: "open", scope: "Custom", apiEndpoints: ["/client"], ipAllowlist: ["::/0"] } }));
    const refused = await cli.pulumi(dir, ["up", "--yes", "--policy-pack", PACK]);
    expect(refused.code).not.toBe(0);
    expect(out(refused)).toMatch(/admits every IPv6 address \("::\/0"\)/);
    expect(h.running.emulator.store.data.tokens).toEqual([]);

    fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(CLEAN));
    ok(await cli.pulumi(dir, ["up", "--yes", "--policy-pack", PACK]));
    expect(h.running.emulator.store.data.tokens.map((t) => t.tokenName).sort()).toEqual(["backup", "mine"]);
    // Existing tokens are judged too: a later change that breaks a rule fails the preview.
    const r = await preview({ ...CLEAN, backup: { ...CLEAN.backup, ipAllowlist: [] } });
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(/access token "backup" belongs to the service account svc-backup and has no ipAllowlist/);
    ok(await cli.pulumi(dir, ["destroy", "--yes"]));
  });

  test("a team's own pack: validateResourceOfType(AccessToken, ...) applies to the dynamic resource", async () => {
    // A pack of its own, written as the @pulumi/policy docs show, with the SDK class from the
    // installed package; without AccessToken.__pulumiType it would never apply, and pass.
    const own = fs.mkdtempSync(path.join(path.dirname(dir), "own-pack-"));
    fs.symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(own, "node_modules"), "dir");
    fs.writeFileSync(path.join(own, "package.json"), JSON.stringify({ name: "own-pack", version: "1.0.0", main: "index.js" }));
    fs.writeFileSync(path.join(own, "PulumiPolicy.yaml"), "runtime: nodejs\n");
    fs.writeFileSync(
      path.join(own, "index.js"),
      `const { PolicyPack, validateResourceOfType } = require("@pulumi/policy");
const { AccessToken } = require(${JSON.stringify(path.join(dir, "node_modules", "pulumi-commvault-tokens"))});
new PolicyPack("own-pack", { policies: [{
  name: "names-start-with-team", description: "token names start with team-", enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(AccessToken, (token, args, report) => {
    if (!token.name.startsWith("team-")) report("access token name " + JSON.stringify(token.name) + " does not start with team-");
  }),
}] });
`,
    );
    const runner = path.join(ROOT, "policy", "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    fs.writeFileSync(path.join(own, "pack"), `#!/usr/bin/env bash\nexec node ${JSON.stringify(runner)} --pwd=${JSON.stringify(own)} "$1" ${JSON.stringify(own)}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(CLEAN));
    const r = await cli.pulumi(dir, ["preview", "--policy-pack", path.join(own, "pack")]);
    expect(r.code).toBe(1);
    expect(out(r)).toMatch(/\[mandatory\]\s+names-start-with-team\s+\(pulumi-nodejs:dynamic\/commvault:AccessToken: backup\)[\s\S]*?access token name "backup" does not start with team-/);
  });
});
