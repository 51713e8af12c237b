import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { forbiddenScopeChangeMessage } from "../../provider/model/scope";
import { VERSION } from "../../plugin/server";
import { ok, plainCli, type CliResult, type PlainCli } from "./cli";
import { ADMIN, SVC_BACKUP, SVC_REPORTING, useEmulator, type Harness } from "./emulator";
import { ROOT } from "./pack";

const run = promisify(execFile);

/** Only the installed plugin: never the one linked beside the CLI, nor one on PATH. */
const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
const all = (r: CliResult) => (r.stdout + r.stderr).replace(/\s+/g, " ");

/** What differs between the Go and the Python program: where the example is and how its source reads. */
export interface Language {
  name: "go" | "python";
  /** The program's source file in the example. */
  main: string;
  /** Readies the copied example to run where it now is (its SDK and environment by absolute path). */
  prepare(dir: string): void;
  env: NodeJS.ProcessEnv;
  /** Folders to put after the CLI's on PATH (the Go toolchain). */
  path: string[];
  /** Source fragments: [as in the example, as edited]. */
  rename: [string, string];
  allowlist: [string, string];
  /** The SCIM token's scope and lifetime turned into All's, which Commvault forbids in place. */
  scopeChange: [string, string][];
  /** The TypeScript program's refusal of that change as this language's program gets it: its fix in the language's spelling. */
  scopeRefusal(typescript: string): string;
  /** Puts the code `import-code` printed into the program, as its docs tell a user to. */
  paste(dir: string, code: string): void;
  /** What the printed code of the imported token must say. */
  importedCode: RegExp[];
}

/**
 * The end-to-end list of issue 20 items 1 and 2 for one language, under the plain `pulumi` CLI
 * against the emulator, with the plugin installed by `pulumi plugin install` (as in
 * plugin-yaml.test.ts). `more` adds the language's own steps after `up`.
 */
export function describeProgram(lang: Language, more: (ctx: { h: Harness; pulumi: (args: string[], env?: NodeJS.ProcessEnv) => Promise<CliResult>; dir: () => string; writes: () => number; edit: (from: string, to: string) => void }) => void = () => undefined): void {
  describe(`end to end: examples/${lang.name} through the installed plugin`, () => {
    const h = useEmulator({}, { fresh: false });
    let cli: PlainCli;
    let dir: string;
    const withPath = () => ({ ...lang.env, PATH: [cli.env.PATH, ...lang.path].join(path.delimiter) });
    const pulumi = (args: string[], env: NodeJS.ProcessEnv = {}) => cli.pulumi(dir, args, { ...withPath(), ...NO_AMBIENT, ...env });
    const tokens = () => h.running.emulator.store.data.tokens;
    const writes = () => h.running.emulator.log.filter((e) => e.method !== "GET" && /accesstoken/i.test(e.path)).length;
    const edit = (from: string, to: string) => {
      const file = path.join(dir, lang.main);
      const text = fs.readFileSync(file, "utf8");
      expect(text).toContain(from);
      fs.writeFileSync(file, text.replace(from, to));
    };
    const p = lang.name;

    beforeAll(async () => {
      cli = plainCli();
      const tmp = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "plugin-"));
      const tarball = execFileSync("bash", [path.join(ROOT, "scripts/build-plugin.sh"), tmp], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
      ok(await cli.pulumi(tmp, ["plugin", "install", "resource", "commvault", VERSION, "-f", tarball], NO_AMBIENT));
      dir = fs.mkdtempSync(path.join(tmp, `${p}-`));
      // Without the stack config files: a user following the example's README writes theirs
      // there (`pulumi config set --secret` adds an encryptionsalt), which this stack could not read.
      fs.cpSync(path.join(ROOT, "examples", p), dir, { recursive: true, filter: (src) => !/^Pulumi\.[^/]+\.ya?ml$/.test(path.basename(src)) });
      lang.prepare(dir);
      ok(await pulumi(["stack", "init", "dev"]));
      ok(await pulumi(["config", "set", "commvault:username", ADMIN.username]));
      ok(await pulumi(["config", "set", "commvault:url", h.running.url]));
      ok(await pulumi(["config", "set", "--secret", "commvault:password", ADMIN.password]));
    });

    test("up creates a token of each scope, for the admin and for a service account", async () => {
      const up = ok(await pulumi(["up", "--yes", "--skip-preview"]));
      expect(up).not.toMatch(/from \$PATH/);
      const made = tokens().map((t) => [t.tokenName, t.tokenType, t.userId]).sort();
      expect(made).toEqual([[`${p}-ci`, 2, ADMIN.userId], [`${p}-reports`, 3, SVC_REPORTING], [`${p}-scim`, 1, ADMIN.userId]]);
      expect(JSON.parse(ok(await pulumi(["stack", "output", "--json"])))).toMatchObject({ ciTokenId: expect.any(Number), ciSecret: "[secret]" });
      ok(await pulumi(["preview", "--expect-no-changes"]));
    });

    more({ h, pulumi, dir: () => dir, writes, edit });

    test("preview --diff shows each changed field as old => new, and up makes it one PUT", async () => {
      edit(...lang.rename);
      edit(...lang.allowlist);
      const preview = ok(await pulumi(["preview", "--diff"]));
      expect(preview).toMatch(new RegExp(`~ name\\s*: "${p}-ci" => "${p}-ci-2"`));
      expect(preview).toMatch(/~ \[0\]: "10\.20\.0\.0\/16" => "10\.30\.0\.0\/16"/);
      const before = writes();
      ok(await pulumi(["up", "--yes", "--skip-preview"]));
      expect(writes() - before).toBe(1);
      expect(tokens().find((t) => t.tokenName === `${p}-ci-2`)?.allowedIPs).toContain("10.30.0.0/16");
    });

    test("a forbidden scope change is refused at preview with the TypeScript program's message, its fix in the program's language; nothing is written", async () => {
      for (const change of lang.scopeChange) edit(...change);
      const before = writes();
      const r = await pulumi(["preview"]);
      expect(r.code).not.toBe(0);
      expect(all(r)).toContain(`commvault:index:AccessToken resource 'scim' has a problem: ${lang.scopeRefusal(forbiddenScopeChangeMessage("MicrosoftSCIM", "All"))}`);
      expect(writes()).toBe(before);
      for (const [from, to] of lang.scopeChange) edit(to, from);
    });

    test("a hand edit fails `preview --refresh --expect-no-changes` with exit 7; `up --refresh` puts it back", async () => {
      const ci = tokens().find((t) => t.tokenName === `${p}-ci-2`)!;
      expect((await h.api.call("PUT", `/V4/AccessToken/${ci.accessTokenId}`, { token: h.admin, body: { tokenName: "by-hand" } })).status).toBe(200);
      const gate = await pulumi(["preview", "--refresh", "--expect-no-changes", "--diff"]);
      expect(gate.code).toBe(7);
      expect(gate.stdout).toMatch(new RegExp(`name\\s*: "${p}-ci-2" => "by-hand"`));
      ok(await pulumi(["up", "--refresh", "--yes", "--skip-preview"]));
      expect(tokens().find((t) => t.accessTokenId === ci.accessTokenId)?.tokenName).toBe(`${p}-ci-2`);
      ok(await pulumi(["preview", "--refresh", "--expect-no-changes"]));
    });

    test("secrets are ciphertext in `pulumi stack export`: no token's secret and no password in it", async () => {
      const exported = ok(await pulumi(["stack", "export"]));
      const state = JSON.parse(exported) as { deployment: { resources: { type: string; outputs: Record<string, unknown> }[] } };
      const ci = state.deployment.resources.find((r) => r.type === "commvault:index:AccessToken" && r.outputs.name === `${p}-ci-2`)!;
      expect(ci.outputs.accessToken).toMatchObject({ ciphertext: expect.any(String) });
      expect(ci.outputs.refreshToken).toMatchObject({ ciphertext: expect.any(String) });
      for (const t of tokens()) {
        expect(exported).not.toContain(t.accessToken);
        if (t.refreshToken) expect(exported).not.toContain(t.refreshToken);
      }
      expect(exported).not.toContain(ADMIN.password);
    });

    test(`pulumi import --generate-code=false takes a token over with no write; scripts/import-code.sh prints ${p} that, pasted, previews with no change`, async () => {
      const made = await h.api.create(h.admin, { tokenName: "legacy", userId: SVC_BACKUP, tokenType: 3, apiEndpoints: ["/client"], allowedIPs: ["10.0.0.1"] });
      const id = made.body.tokenInfo.accessTokenId as number;
      const before = writes();
      ok(await pulumi(["import", "commvault:index:AccessToken", "legacy", `${SVC_BACKUP}:${id}`, "--generate-code=false", "--yes"]));
      expect(writes()).toBe(before);
      const importCode = (name: string) => run("bash", [path.join(ROOT, "scripts/import-code.sh"), p, name], { cwd: dir, env: { ...cli.env, ...withPath(), ...NO_AMBIENT }, maxBuffer: 16 << 20 });
      // A name the stack does not have: said, with the names it has and what to run first.
      await expect(importCode("legacyy")).rejects.toMatchObject({
        stderr: expect.stringContaining('import-code: the stack has no commvault:index:AccessToken named "legacyy" (it has: ci, legacy, reports, scim); run pulumi import first'),
      });
      const printed = await importCode("legacy");
      for (const re of lang.importedCode) expect(printed.stdout).toMatch(re);
      lang.paste(dir, printed.stdout);
      ok(await pulumi(["preview", "--expect-no-changes"]));
      ok(await pulumi(["preview", "--refresh", "--expect-no-changes"]));
      expect(writes()).toBe(before);
    });

    test("destroy (the imported token unprotected first) revokes every token", async () => {
      ok(await pulumi(["state", "unprotect", "--all", "--yes"]));
      ok(await pulumi(["destroy", "--yes", "--skip-preview"]));
      expect(tokens()).toEqual([]);
    });
  });
}
