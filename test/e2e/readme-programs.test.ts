import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ok, plainCli, type PlainCli } from "../helpers/cli";
import { ADMIN, SVC_BACKUP, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";

const run = promisify(execFile);
jest.setTimeout(600_000);

/** The fenced programs of a page, by language, in the order they appear. */
function programs(file: string): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/```(ts|python|go|yaml)\n([\s\S]*?)```/g)) out[m[1]!] ??= m[2]!;
  return out;
}

const NO_AMBIENT = { PULUMI_IGNORE_AMBIENT_PLUGINS: "true" };
const GO_ENV = { ...process.env, PATH: `${process.env.PATH}${path.delimiter}/usr/local/go/bin`, GOFLAGS: "-buildvcs=false -mod=mod", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" };

/**
 * Issue 21 item 1: the README's program in each language is one that works. TypeScript and YAML
 * run under the plain `pulumi` CLI against the emulator (up, a preview with no change, destroy);
 * Python compiles and Go builds against the generated SDKs (their programs run end to end in the
 * languages' own tests). docs/_index.md shows the same four programs.
 */
describe("end to end: the README's programs", () => {
  const h = useEmulator({}, { fresh: false });
  const readme = programs("README.md");
  let cli: PlainCli;

  beforeAll(() => {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    cli = plainCli();
  });

  test("the README has one program per language, and docs/_index.md the same ones", () => {
    expect(Object.keys(readme).sort()).toEqual(["go", "python", "ts", "yaml"]);
    expect(programs("docs/_index.md")).toEqual(readme);
  });

  /** up, the token as the program declares it, a preview with no change, destroy. */
  async function lifecycle(dir: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const pulumi = (...args: string[]) => cli.pulumi(dir, args, env);
    ok(await pulumi("stack", "init", "dev"));
    ok(await pulumi("config", "set", "commvault:url", h.running.url));
    ok(await pulumi("config", "set", "commvault:username", ADMIN.username));
    ok(await pulumi("config", "set", "--secret", "commvault:password", ADMIN.password));
    ok(await pulumi("up", "--yes", "--skip-preview"));
    const made = h.running.emulator.store.data.tokens.map((t) => ({ name: t.tokenName, userId: t.userId, ips: t.allowedIPs }));
    expect(made).toEqual([{ name: "nightly-backup", userId: SVC_BACKUP, ips: expect.arrayContaining(["10.20.0.0/16", "2001:db8:20::/48"]) }]);
    expect(ok(await pulumi("stack", "output", "secret"))).toMatch(/\[secret\]/);
    ok(await pulumi("preview", "--expect-no-changes"));
    ok(await pulumi("destroy", "--yes"));
    expect(h.running.emulator.store.data.tokens).toEqual([]);
  }

  test("TypeScript runs under the plain CLI", async () => {
    const example = path.join(ROOT, "examples/backup-service-account");
    const dir = cli.program({
      "Pulumi.yaml": "name: readme-ts\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
      "package.json": fs.readFileSync(path.join(example, "package.json"), "utf8"),
      "tsconfig.json": fs.readFileSync(path.join(example, "tsconfig.json"), "utf8"),
      "index.ts": readme.ts!,
    });
    await lifecycle(dir);
  });

  test("YAML runs under the plain CLI through the plugin", async () => {
    const dir = fs.mkdtempSync(path.join(path.dirname(cli.env.PULUMI_HOME!), "readme-yaml-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${readme.yaml}plugins:\n  providers:\n    - name: commvault\n      path: ${path.join(ROOT, "plugin/bin")}\n`);
    await lifecycle(dir, NO_AMBIENT);
  });

  test("Python compiles against the generated SDK's names", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-py-"));
    fs.writeFileSync(path.join(dir, "__main__.py"), readme.python!);
    await run("python3", ["-m", "py_compile", "__main__.py"], { cwd: dir, env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(dir, "cache") } });
    const sdk = fs.readFileSync(path.join(ROOT, "sdk/python/pulumi_commvault_tokens/access_token.py"), "utf8");
    for (const arg of ["user_name", "ip_allowlist", "renewable_for"]) expect(sdk).toContain(`${arg}: pulumi.Input`);
  });

  test("Go builds against sdk/go", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-go-"));
    fs.writeFileSync(path.join(dir, "main.go"), readme.go!);
    fs.writeFileSync(
      path.join(dir, "go.mod"),
      `module readme\n\ngo 1.26\n\nrequire pulumi-commvault-tokens/sdk/go v0.0.0\n\nreplace pulumi-commvault-tokens/sdk/go => ${path.join(ROOT, "sdk/go")}\n`,
    );
    fs.copyFileSync(path.join(ROOT, "sdk/go/go.sum"), path.join(dir, "go.sum"));
    await run("go", ["build", "-trimpath", "-o", path.join(dir, "program"), "."], { cwd: dir, env: GO_ENV, maxBuffer: 16 << 20 });
    expect(fs.existsSync(path.join(dir, "program"))).toBe(true);
  });
});
