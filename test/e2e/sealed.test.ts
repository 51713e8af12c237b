import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { openPair } from "../../provider/lifecycle/seal";
import { ok, plainCli, type CliResult, type PlainCli } from "../helpers/cli";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { LeakWatch } from "../helpers/leaks";
import { ROOT } from "../helpers/pack";

jest.setTimeout(900_000);

const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
/** Every debugging switch at once, `--logflow` too: Pulumi's YAML host then logs every value it receives. */
const EVERYTHING = ["--debug", "-v=9", "--logtostderr", "--logflow"];
const all = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");

interface Door {
  kind: string;
  node: boolean;
  type: string;
  files: Record<string, string>;
  prepare?: (dir: string) => void;
  env?: NodeJS.ProcessEnv;
  path?: string[];
  /** How the provider's messages spell the sealTo input in this door's language (docs/languages.md). */
  sealTo: string;
}

const PLUGIN_PATH = `plugins:
  providers:
    - name: commvault
      path: ${path.join(ROOT, "plugin/bin")}
`;

const DYNAMIC: Door = {
  sealTo: "sealTo",
  kind: "the dynamic provider, from Node.js",
  node: true,
  type: "pulumi-nodejs:dynamic/commvault:AccessToken",
  files: {
    "Pulumi.yaml": "name: sealed-dynamic\nruntime: nodejs\n",
    "index.js": `const pulumi = require("@pulumi/pulumi");
const { AccessToken } = require("pulumi-commvault-tokens");
const config = new pulumi.Config();
const token = new AccessToken("svc", { name: "sealed-svc", userId: ${SVC_BACKUP}, sealTo: [config.require("recipient")] });
exports.tokenId = token.tokenId;
exports.sealedPair = token.sealedPair;
exports.secretFingerprint = token.secretFingerprint;
exports.accessToken = token.accessToken;
`,
  },
};

const PLUGIN: Door = {
  sealTo: "sealTo",
  kind: "the plugin, from YAML",
  node: false,
  type: "commvault:index:AccessToken",
  files: {
    "Pulumi.yaml": `name: sealed-yaml
runtime: yaml
plugins:
  providers:
    - name: commvault
      path: ${path.join(ROOT, "plugin/bin")}
config:
  recipient:
    type: string
resources:
  svc:
    type: commvault:AccessToken
    properties:
      name: sealed-svc
      userId: ${SVC_BACKUP}
      sealTo: ["\${recipient}"]
outputs:
  tokenId: \${svc.tokenId}
  sealedPair: \${svc.sealedPair}
  secretFingerprint: \${svc.secretFingerprint}
  accessToken: \${svc.accessToken}
`,
  },
};

const PYTHON: Door = {
  sealTo: "seal_to",
  kind: "the plugin, from Python",
  node: false,
  type: "commvault:index:AccessToken",
  files: {
    "Pulumi.yaml": `name: sealed-python\nruntime:\n  name: python\n  options:\n    virtualenv: ${path.join(ROOT, ".tools/venv")}\n${PLUGIN_PATH}`,
    "__main__.py": `import pulumi
import pulumi_commvault_tokens as commvault

token = commvault.AccessToken("svc", name="sealed-svc", user_id=${SVC_BACKUP}, seal_to=[pulumi.Config().require("recipient")])
pulumi.export("tokenId", token.token_id)
pulumi.export("sealedPair", token.sealed_pair)
pulumi.export("secretFingerprint", token.secret_fingerprint)
pulumi.export("accessToken", token.access_token)
`,
  },
};

const GO: Door = {
  sealTo: "SealTo",
  kind: "the plugin, from Go",
  node: false,
  type: "commvault:index:AccessToken",
  files: {
    "Pulumi.yaml": `name: sealed-go\nruntime: go\n${PLUGIN_PATH}`,
    "main.go": `package main

import (
	"pulumi-commvault-tokens/sdk/go/commvault"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		recipient, _ := ctx.GetConfig("sealed-go:recipient")
		token, err := commvault.NewAccessToken(ctx, "svc", &commvault.AccessTokenArgs{
			Name:   pulumi.String("sealed-svc"),
			UserId: pulumi.Int(${SVC_BACKUP}),
			SealTo: pulumi.StringArray{pulumi.String(recipient)},
		})
		if err != nil {
			return err
		}
		ctx.Export("tokenId", token.TokenId)
		ctx.Export("sealedPair", token.SealedPair)
		ctx.Export("secretFingerprint", token.SecretFingerprint)
		ctx.Export("accessToken", token.AccessToken)
		return nil
	})
}
`,
  },
  prepare(dir) {
    for (const f of ["go.mod", "go.sum"]) fs.copyFileSync(path.join(ROOT, "examples/go", f), path.join(dir, f));
    const mod = path.join(dir, "go.mod");
    fs.writeFileSync(mod, fs.readFileSync(mod, "utf8").replace("=> ../../sdk/go", `=> ${path.join(ROOT, "sdk/go")}`));
  },
  env: { GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" },
  path: ["/usr/local/go/bin"],
};

/**
 * Issue 23 items 1, 2 and 4 under the plain `pulumi` CLI, through both doors: a token sealed to an
 * age recipient never has its pair in the outputs, the state or any log, even with every debugging
 * switch on; a mistyped recipient fails the preview naming the entry; new recipients are a
 * rotation that the preview announces with its reason.
 */
describe.each([DYNAMIC, PLUGIN, PYTHON, GO])("end to end: sealTo through $kind", (door) => {
  const h = useEmulator({}, { fresh: false });
  const watch = new LeakWatch(() => h.running.emulator.store.data);
  let cli: PlainCli;
  let dir: string;
  let tmp: string;
  const keys: { identity: string; recipient: string }[] = [];
  const envOf = () => ({ ...NO_AMBIENT, ...door.env, PATH: [cli.env.PATH, ...(door.path ?? [])].join(path.delimiter) });
  const pulumi = async (args: string[]) => {
    const r = await cli.pulumi(dir, args, { ...envOf(), TMPDIR: tmp });
    watch.collect();
    watch.record(`\`pulumi ${args.join(" ")}\` stdout`, r.stdout);
    watch.record(`\`pulumi ${args.join(" ")}\` stderr`, r.stderr);
    return r;
  };
  const tokens = () => h.running.emulator.store.data.tokens;
  const outputs = async () => JSON.parse(ok(await pulumi(["stack", "output", "--json", "--show-secrets"]))) as Record<string, unknown>;

  beforeAll(async () => {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    for (let i = 0; i < 2; i++) {
      const identity = await generateX25519Identity();
      keys.push({ identity, recipient: await identityToRecipient(identity) });
    }
    cli = plainCli();
    dir = door.node ? cli.program(door.files) : fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "yaml-"));
    if (!door.node) for (const [name, text] of Object.entries(door.files)) fs.writeFileSync(path.join(dir, name), text);
    door.prepare?.(dir);
    tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "tmp-"));
    ok(await pulumi(["stack", "init", "dev"]));
    ok(await pulumi(["config", "set", "commvault:url", h.running.url]));
    ok(await pulumi(["config", "set", "commvault:username", ADMIN.username]));
    ok(await pulumi(["config", "set", "--secret", "commvault:password", ADMIN.password]));
  });

  test("a mistyped recipient fails the preview naming sealTo[0]; nothing is written", async () => {
    const typo = keys[0].recipient.slice(0, -1) + (keys[0].recipient.endsWith("q") ? "p" : "q");
    ok(await pulumi(["config", "set", "recipient", typo]));
    const r = await pulumi(["preview"]);
    expect(r.code).not.toBe(0);
    expect(all(r)).toMatch(new RegExp(`${door.sealTo}\\[0\\] "age1\\S+…" has a wrong checksum \\(a character is mistyped\\); copy it again`));
    expect(tokens()).toEqual([]);
  });

  test("up with every debugging switch: outputs hold the ciphertext and fingerprint, the identity opens it, and no output, state or log holds the pair", async () => {
    ok(await pulumi(["config", "set", "recipient", keys[0].recipient]));
    ok(await pulumi(["up", "--yes", "--skip-preview", ...EVERYTHING]));
    const [t] = tokens();
    const out = await outputs();
    expect(out.accessToken ?? undefined).toBeUndefined();
    expect(await openPair(keys[0].identity, out.sealedPair as string)).toEqual({ accessToken: t.accessToken, refreshToken: t.refreshToken });
    expect(out.secretFingerprint).toMatch(/^[0-9a-f]{16}$/);
    // Decrypted, the state shows the stack's own secrets (the CommServe password in the provider's
    // config), and still no pair: so this one command is searched for the pair only.
    const state = ok(await cli.pulumi(dir, ["stack", "export", "--show-secrets"], envOf()));
    expect(state).toContain(door.type);
    for (const secret of [t.accessToken, t.refreshToken!]) expect(state).not.toContain(secret);
    ok(await pulumi(["preview", "--refresh", "--expect-no-changes", ...EVERYTHING]));
    ok(await pulumi(["refresh", "--yes", ...EVERYTHING]));
    watch.recordFiles(cli.env.PULUMI_HOME!);
    watch.recordFiles(tmp);
    expect(watch.leaks()).toEqual([]);
  });

  test("new recipients: the preview plans a rotation and says why; up seals the new pair to them and keeps the old token for the overlap", async () => {
    const [before] = tokens();
    const fingerprint = (await outputs()).secretFingerprint;
    ok(await pulumi(["config", "set", "recipient", keys[1].recipient]));
    const preview = await pulumi(["preview", "--diff"]);
    expect(ok(preview)).toMatch(/generation\s*: 1 => 2/);
    const why = `a rotation is due (${door.sealTo} changed: the provider kept no copy of the sealed secret to seal again, so a new secret is issued and sealed to the new recipients); \`pulumi up\` creates generation 2 under "sealed-svc" and keeps this token working as "sealed-svc~g1" for 7 day(s)`;
    expect(all(preview)).toContain(why);
    ok(await pulumi(["up", "--yes", "--skip-preview", ...EVERYTHING]));
    const now = tokens().find((t) => t.tokenName === "sealed-svc")!;
    expect(now.accessTokenId).not.toBe(before.accessTokenId);
    expect(tokens().find((t) => t.accessTokenId === before.accessTokenId)?.tokenName).toBe("sealed-svc~g1");
    const out = await outputs();
    expect((await openPair(keys[1].identity, out.sealedPair as string)).accessToken).toBe(now.accessToken);
    await expect(openPair(keys[0].identity, out.sealedPair as string)).rejects.toThrow();
    expect(out.secretFingerprint).not.toBe(fingerprint);
    ok(await pulumi(["destroy", "--yes", "--skip-preview", ...EVERYTHING]));
    expect(tokens()).toEqual([]);
    watch.recordFiles(cli.env.PULUMI_HOME!);
    watch.recordFiles(tmp);
    expect(watch.leaks()).toEqual([]);
  });
});
