import * as fs from "node:fs";
import * as path from "node:path";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ADMIN, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";

jest.setTimeout(600_000);

/** The outputs docs/reference.md documents for the AccessToken resource, by name. */
function documentedOutputs(): string[] {
  const text = fs.readFileSync(path.join(ROOT, "docs/reference.md"), "utf8");
  const section = text.slice(text.indexOf("## Resource `AccessToken`"), text.indexOf("## Function"));
  const table = section.slice(section.indexOf("### Outputs"));
  return [...table.matchAll(/^\| `(\w+)`<br>/gm)].map((m) => m[1]!);
}

const OUTPUTS = documentedOutputs();

/** Each token's documented outputs that must hold a value (absent ones, e.g. sealedPair, are compared too, as absent). */
const TOKENS: Record<string, { args: string; defined: string[] }> = {
  rolling: {
    args: '{ name: "readable-rolling", userName: "svc-backup", ipAllowlist: ["10.0.0.0/8"], renewableFor: "90d", rotation: { everyDays: 30 } }',
    defined: ["accessToken", "refreshToken", "tokenId", "userId", "userName", "name", "scope", "ipAllowlist", "replaceOnForbiddenScopeChange", "createdAt", "accessTokenExpiresAt", "refreshTokenExpiresAt", "renewableUntil", "renewableFor", "rotation", "generation", "rotateAfter"],
  },
  custom: {
    args: '{ name: "readable-custom", scope: "Custom", apiEndpoints: ["/client"], renewableUntil: "2027-06-01T00:00:00Z" }',
    defined: ["accessToken", "refreshToken", "tokenId", "userId", "userName", "name", "scope", "apiEndpoints", "ipAllowlist", "replaceOnForbiddenScopeChange", "createdAt", "renewableUntil"],
  },
  scim: {
    args: '{ name: "readable-scim", scope: "MicrosoftSCIM" }',
    defined: ["accessToken", "tokenId", "userId", "userName", "name", "scope", "ipAllowlist", "replaceOnForbiddenScopeChange", "createdAt", "expiresAt"],
  },
};

/** `pulumi stack output --json` leaves out an export whose value is undefined, and shows null for null. */
const value = (o: Record<string, unknown>, k: string) => o[k] ?? undefined;

/** A secret in `stack export --show-secrets` is { <sig>, plaintext: JSON }; everything else is as stored. */
function unwrap(v: unknown): unknown {
  if (v && typeof v === "object" && "4dabf18193072939515e22adb298388d" in v && "plaintext" in v) return JSON.parse((v as { plaintext: string }).plaintext);
  return v;
}

/**
 * Issue 22: whatever the state stops storing, every output docs/reference.md documents stays
 * readable from a program under the plain CLI, with the value the provider gave it: a program
 * exports each output of three tokens (a rolling lifetime with a rotation, a Custom token with a
 * declared date, a MicrosoftSCIM token), and `pulumi stack output --show-secrets` shows each equal
 * to what state holds for it (the two secrets in the one secret value `__secrets`), the ones each
 * token has defined, the two secrets still secret.
 */
describe("end to end: every documented output is readable from the program", () => {
  const h = useEmulator({}, { fresh: false });
  let cli: PlainCli;
  let dir: string;

  beforeAll(async () => {
    const program = [
      'const { AccessToken } = require("pulumi-commvault-tokens");',
      `const OUTPUTS = ${JSON.stringify(OUTPUTS)};`,
      ...Object.entries(TOKENS).map(([key, t]) => `const ${key} = new AccessToken("${key}", ${t.args});\nfor (const k of OUTPUTS) exports[\`${key}_\${k}\`] = ${key}[k];`),
    ].join("\n");
    cli = plainCli("e2e-passphrase-not-a-secret");
    dir = cli.program({ "Pulumi.yaml": "name: outputs-readable\nruntime: nodejs\n", "index.js": `${program}\n` });
    ok(await cli.pulumi(dir, ["stack", "init", "dev"]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:url", h.running.url]));
    ok(await cli.pulumi(dir, ["config", "set", "commvault:username", ADMIN.username]));
    ok(await cli.pulumi(dir, ["config", "set", "--secret", "commvault:password", ADMIN.password]));
    ok(await cli.pulumi(dir, ["up", "--yes", "--skip-preview"]));
  });

  test("the reference documents the outputs this test reads", () => {
    expect(OUTPUTS).toEqual(expect.arrayContaining(["accessToken", "refreshToken", "tokenId", "userId", "userName", "ipAllowlist", "replaceOnForbiddenScopeChange", "createdAt", "generation", "sealedPair"]));
  });

  test("each output reads as state holds it, the defined ones hold a value, the token's secret is the server's", async () => {
    const shown = JSON.parse(ok(await cli.pulumi(dir, ["stack", "output", "--json", "--show-secrets"]))) as Record<string, unknown>;
    const exported = JSON.parse(ok(await cli.pulumi(dir, ["stack", "export", "--show-secrets"]))) as { deployment: { resources: { urn: string; outputs?: Record<string, unknown> }[] } };
    const stored = (key: string) => exported.deployment.resources.find((r) => r.urn.endsWith(`::${key}`))!.outputs!;
    for (const [key, t] of Object.entries(TOKENS)) {
      const state = stored(key);
      // The two secrets are one secret value in state (provider/lifecycle/dynamic-door.ts).
      expect(state.__secrets).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
      const pair = unwrap(state.__secrets) as Record<string, unknown>;
      const held = (k: string) => (k in state ? unwrap(state[k]) : pair[k]);
      for (const k of OUTPUTS) expect([key, k, value(shown, `${key}_${k}`)]).toEqual([key, k, held(k)]);
      for (const k of t.defined) expect([key, k, value(shown, `${key}_${k}`) === undefined]).toEqual([key, k, false]);
      const onServer = h.running.emulator.store.data.tokens.find((x) => x.tokenName === `readable-${key}`)!;
      expect(shown[`${key}_tokenId`]).toBe(onServer.accessTokenId);
      expect(shown[`${key}_accessToken`]).toBe(onServer.accessToken);
    }
  });

  test("without --show-secrets the access and refresh tokens are [secret], and nothing else is", async () => {
    const shown = JSON.parse(ok(await cli.pulumi(dir, ["stack", "output", "--json"]))) as Record<string, unknown>;
    const secret = Object.keys(shown).filter((k) => shown[k] === "[secret]").sort();
    expect(secret).toEqual(["custom_accessToken", "custom_refreshToken", "rolling_accessToken", "rolling_refreshToken", "scim_accessToken"]);
  });

  test("state written before (the two secrets apart) stays secret through a refresh and an up, and reads the same", async () => {
    // The layout main wrote before issue 22: accessToken and refreshToken as two secret outputs.
    const doc = JSON.parse(ok(await cli.pulumi(dir, ["stack", "export", "--show-secrets"]))) as { deployment: { resources: Record<string, unknown>[] } };
    for (const r of doc.deployment.resources) {
      const outs = r.outputs as Record<string, unknown> | undefined;
      if (!outs?.__secrets) continue;
      const pair = unwrap(outs.__secrets) as Record<string, string>;
      delete outs.__secrets;
      for (const [k, v] of Object.entries(pair)) outs[k] = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: JSON.stringify(v) };
      r.additionalSecretOutputs = ["accessToken", "refreshToken"];
    }
    const file = path.join(dir, "before.json");
    fs.writeFileSync(file, JSON.stringify(doc), { mode: 0o600 });
    ok(await cli.pulumi(dir, ["stack", "import", "--file", file]));
    fs.rmSync(file);
    const secrets = h.running.emulator.store.data.tokens.flatMap((t) => [t.accessToken, t.refreshToken]).filter((x): x is string => typeof x === "string");
    const stateText = async () => ok(await cli.pulumi(dir, ["stack", "export"]));
    for (const step of [["refresh", "--yes"], ["up", "--yes", "--skip-preview"]]) {
      ok(await cli.pulumi(dir, step));
      const text = await stateText();
      for (const x of secrets) expect([step[0], text.includes(x)]).toEqual([step[0], false]);
      const shown = JSON.parse(ok(await cli.pulumi(dir, ["stack", "output", "--json", "--show-secrets"]))) as Record<string, unknown>;
      for (const key of Object.keys(TOKENS)) {
        const onServer = h.running.emulator.store.data.tokens.find((x) => x.tokenName === `readable-${key}`)!;
        expect([step[0], key, shown[`${key}_accessToken`], shown[`${key}_refreshToken`]]).toEqual([step[0], key, onServer.accessToken, onServer.refreshToken ?? undefined]);
      }
    }
  });

  afterAll(async () => {
    if (dir) await cli.pulumi(dir, ["destroy", "--yes", "--skip-preview"]);
  });
});
