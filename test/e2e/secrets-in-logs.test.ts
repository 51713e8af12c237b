import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { LeakWatch } from "../helpers/leaks";
import { ROOT } from "../helpers/pack";

jest.setTimeout(900_000);

const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
/**
 * Pulumi's debugging switches, as a user turns them on in CI: the display's debug messages, the
 * engine's verbose log to stderr, and the same log to files. (`--logflow`, which hands the
 * verbosity on to the language hosts, is another matter: Pulumi's YAML host then logs every value
 * it receives, secrets included; docs/secrets.md says so, and sealTo is the way out.)
 */
const DEBUG = ["--debug"];
const VERBOSE = ["-v=9", "--logtostderr"];
const TO_FILES = ["-v=11"];
const PLUGIN = `plugins:
  providers:
    - name: commvault
      path: ${path.join(ROOT, "plugin/bin")}
`;

/** A program a user writes, in each way this package can be used. */
interface Program {
  kind: string;
  files: Record<string, string>;
  /** A Node.js program needs the packed package beside it. */
  node: boolean;
  /** Another @pulumi/pulumi than the project's (3.248), installed from the registry beside the program. */
  sdk?: string;
  /** Readies the written program where it is (a Go module's go.mod). */
  prepare?: (dir: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Folders to put after the CLI's on PATH (the Go toolchain). */
  path?: string[];
  /** Go's and Python's hosts cannot generate the imported code (rulings 11): `--generate-code=false`. */
  importArgs?: string[];
}

/**
 * The newest @pulumi/pulumi when this was written: it still logs every answer at debug level
 * (runtime/resource.js, `RegisterResource RPC finished: ... resp: ${innerResponse}`). Its
 * package asks for Node.js 22; it runs on 20, which is what users on 20 get when they update.
 */
const NEWEST_SDK = "3.276.0";

const DYNAMIC: Program = {
  kind: "Node.js, the dynamic AccessToken",
  node: true,
  files: {
    "Pulumi.yaml": "name: leaks-dynamic\nruntime: nodejs\n",
    "index.js": `const pulumi = require("@pulumi/pulumi");
const { AccessToken } = require("pulumi-commvault-tokens");
const config = new pulumi.Config();
const ci = new AccessToken("ci", { name: "leak-ci", renewableFor: "90d", rotationTrigger: config.get("trigger") });
const backup = new AccessToken("backup", { name: "leak-backup", userId: ${SVC_BACKUP} });
const scim = new AccessToken("scim", { name: "leak-scim", scope: "MicrosoftSCIM" });
exports.ciSecret = ci.accessToken;
exports.backupRefresh = backup.refreshToken;
exports.scimSecret = scim.accessToken;
`,
  },
};

const DYNAMIC_NEWEST: Program = { ...DYNAMIC, kind: `Node.js, the dynamic AccessToken, @pulumi/pulumi ${NEWEST_SDK}`, sdk: NEWEST_SDK };

/** The plugin's resource declared from Node.js, by its type token: loading the package seals the program's log. */
const PLUGIN_FROM_NODE: Program = {
  kind: "Node.js, the plugin's resource",
  node: true,
  files: {
    "Pulumi.yaml": `name: leaks-plugin-node\nruntime: nodejs\n${PLUGIN}`,
    "index.js": `const pulumi = require("@pulumi/pulumi");
require("pulumi-commvault-tokens");
const config = new pulumi.Config();
const declare = (name, args) => new pulumi.CustomResource("commvault:index:AccessToken", name, { ...args, accessToken: undefined, refreshToken: undefined });
const ci = declare("ci", { name: "leak-node-ci", renewableFor: "90d", rotationTrigger: config.get("trigger") });
const backup = declare("backup", { name: "leak-node-backup", userId: ${SVC_BACKUP} });
exports.ciSecret = ci.accessToken;
exports.backupRefresh = backup.refreshToken;
`,
  },
};

/** Python through the generated SDK, in the project's virtual environment (scripts/python-sdk.sh installs the SDK there). */
const PYTHON: Program = {
  kind: "Python, through the plugin",
  node: false,
  files: {
    "Pulumi.yaml": `name: leaks-python\nruntime:\n  name: python\n  options:\n    virtualenv: ${path.join(ROOT, ".tools/venv")}\n${PLUGIN}`,
    "__main__.py": `import pulumi
import pulumi_commvault_tokens as commvault

config = pulumi.Config()
ci = commvault.AccessToken("ci", name="leak-python-ci", renewable_for="90d", rotation_trigger=config.get("trigger"))
backup = commvault.AccessToken("backup", name="leak-python-backup", user_id=${SVC_BACKUP})
pulumi.export("ciSecret", ci.access_token)
pulumi.export("backupRefresh", backup.refresh_token)
`,
  },
  importArgs: ["--generate-code=false"],
};

/** Go through the generated SDK: examples/go's module files, its SDK replaced by the checkout's sdk/go. */
const GO: Program = {
  kind: "Go, through the plugin",
  node: false,
  files: {
    "Pulumi.yaml": `name: leaks-go\nruntime: go\n${PLUGIN}`,
    "main.go": `package main

import (
	"pulumi-commvault-tokens/sdk/go/commvault"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		trigger, _ := ctx.GetConfig("leaks-go:trigger")
		ci, err := commvault.NewAccessToken(ctx, "ci", &commvault.AccessTokenArgs{
			Name:            pulumi.String("leak-go-ci"),
			RenewableFor:    pulumi.String("90d"),
			RotationTrigger: pulumi.String(trigger),
		})
		if err != nil {
			return err
		}
		backup, err := commvault.NewAccessToken(ctx, "backup", &commvault.AccessTokenArgs{
			Name:   pulumi.String("leak-go-backup"),
			UserId: pulumi.Int(${SVC_BACKUP}),
		})
		if err != nil {
			return err
		}
		ctx.Export("ciSecret", ci.AccessToken)
		ctx.Export("backupRefresh", backup.RefreshToken)
		return nil
	})
}
`,
  },
  prepare(dir) {
    for (const f of ["go.mod", "go.sum"]) fs.copyFileSync(path.join(ROOT, "examples/go", f), path.join(dir, f));
    const mod = path.join(dir, "go.mod");
    const text = fs.readFileSync(mod, "utf8");
    if (!text.includes("=> ../../sdk/go")) throw new Error(`examples/go/go.mod no longer replaces the SDK by ../../sdk/go`);
    fs.writeFileSync(mod, text.replace("=> ../../sdk/go", `=> ${path.join(ROOT, "sdk/go")}`));
  },
  env: { GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" },
  path: ["/usr/local/go/bin"],
  importArgs: ["--generate-code=false"],
};

const YAML: Program = {
  kind: "YAML, through the plugin",
  node: false,
  files: {
    "Pulumi.yaml": `name: leaks-yaml
runtime: yaml
${PLUGIN}
config:
  trigger:
    type: string
resources:
  ci:
    type: commvault:AccessToken
    properties:
      name: leak-yaml-ci
      renewableFor: 90d
      rotationTrigger: \${trigger}
  backup:
    type: commvault:AccessToken
    properties:
      name: leak-yaml-backup
      userId: ${SVC_BACKUP}
variables:
  listed:
    fn::invoke:
      function: commvault:listAccessTokens
      arguments:
        userId: ${SVC_BACKUP}
outputs:
  ciSecret: \${ci.accessToken}
  backupRefresh: \${backup.refreshToken}
  listed: \${listed}
`,
  },
};

/** The packed package and the given @pulumi/pulumi, installed in one go into a program's folder, as a user on that release has them. */
function installWith(dir: string, sdk: string): void {
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "program", private: true }));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false", path.join(dir, packed), `@pulumi/pulumi@${sdk}`], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  const installed = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string };
  expect(installed.version).toBe(sdk);
}

/**
 * Issue 23 item 1 under the plain `pulumi` CLI: with every debugging switch a user turns on,
 * nothing a run prints, nor any log file it leaves under PULUMI_HOME or the temporary folder, holds
 * a secret the emulator held: no token's access or refresh token, no session token, no password.
 */
describe.each([DYNAMIC, DYNAMIC_NEWEST, PLUGIN_FROM_NODE, YAML, PYTHON, GO])("end to end: no secret in debug output or logs ($kind)", (program) => {
  const h = useEmulator({}, { fresh: false });
  const watch = new LeakWatch(() => h.running.emulator.store.data);
  let cli: PlainCli;
  let dir: string;
  let tmp: string;
  const envOf = () => ({ ...NO_AMBIENT, ...program.env, PATH: [cli.env.PATH, ...(program.path ?? [])].join(path.delimiter) });
  const run = async (label: string, args: string[], flags: string[]): Promise<CliResult> => {
    const r = await cli.pulumi(dir, [...args, ...flags], { ...envOf(), TMPDIR: tmp });
    watch.collect();
    watch.record(`\`pulumi ${[...args, ...flags].join(" ")}\` (${label}) stdout`, r.stdout);
    watch.record(`\`pulumi ${[...args, ...flags].join(" ")}\` (${label}) stderr`, r.stderr);
    return r;
  };

  beforeAll(async () => {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
    dir = program.node && !program.sdk ? cli.program(program.files) : fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "program-"));
    if (!program.node || program.sdk) for (const [name, text] of Object.entries(program.files)) fs.writeFileSync(path.join(dir, name), text);
    if (program.sdk) installWith(dir, program.sdk);
    program.prepare?.(dir);
    tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "tmp-"));
    const setup = (args: string[]) => cli.pulumi(dir, args, envOf());
    ok(await setup(["stack", "init", "dev"]));
    ok(await setup(["config", "set", "commvault:url", h.running.url]));
    ok(await setup(["config", "set", "commvault:username", ADMIN.username]));
    ok(await setup(["config", "set", "--secret", "commvault:password", ADMIN.password]));
    ok(await setup(["config", "set", "trigger", "zero"]));
  });

  test("up, preview --refresh, a rotation, refresh and destroy print no secret and leave none in a log file", async () => {
    ok(await run("create", ["up", "--yes", "--skip-preview"], DEBUG));
    const made = h.running.emulator.store.data.tokens.length;
    expect(made).toBeGreaterThanOrEqual(2);
    ok(await run("gate", ["preview", "--refresh"], [...DEBUG, ...VERBOSE]));
    ok(await run("rotate", ["up", "--yes", "--config", "trigger=one"], [...DEBUG, ...VERBOSE]));
    expect(h.running.emulator.store.data.tokens.length).toBe(made + 1);
    ok(await run("refresh", ["refresh", "--yes"], [...DEBUG, ...TO_FILES]));
    ok(await run("show", ["stack", "output", "--json"], []));
    ok(await run("destroy", ["destroy", "--yes"], [...DEBUG, ...VERBOSE]));
    expect(h.running.emulator.store.data.tokens).toEqual([]);
    // Every token, the rotated one too, and the provider's session are looked for.
    expect(watch.size).toBeGreaterThanOrEqual(2 * (made + 1));
    const files = watch.recordFiles(cli.env.PULUMI_HOME!) + watch.recordFiles(tmp);
    expect(files).toBeGreaterThan(0);
    expect(watch.leaks()).toEqual([]);
  });

  if (!program.node) {
    test("pulumi import through the plugin prints no secret and leaves none in a log file", async () => {
      const made = await h.api.create(h.admin, { tokenName: "leak-legacy", userId: SVC_BACKUP, tokenType: 2 });
      const id = made.body.tokenInfo.accessTokenId as number;
      watch.collect();
      expect(watch.has(h.running.emulator.store.data.tokens.find((t) => t.accessTokenId === id)!.accessToken)).toBe(true);
      ok(await run("import", ["import", "commvault:index:AccessToken", "legacy", `${SVC_BACKUP}:${id}`, "--yes", ...(program.importArgs ?? [])], [...DEBUG, ...VERBOSE]));
      ok(await cli.pulumi(dir, ["state", "unprotect", "--all", "--yes"], envOf()));
      ok(await run("destroy imported", ["destroy", "--yes", "--skip-preview"], [...DEBUG, ...TO_FILES]));
      watch.recordFiles(cli.env.PULUMI_HOME!);
      watch.recordFiles(tmp);
      expect(watch.leaks()).toEqual([]);
    });
  }
});
