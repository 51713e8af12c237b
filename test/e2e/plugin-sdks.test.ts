import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/pack";

const run = promisify(execFile);
jest.setTimeout(900_000);

/** What a build leaves in sdk/python (`pip install sdk/python`, as docs/languages.md shows), which its .gitignore names. */
const BUILD_LEFTOVERS = /^(build|dist|__pycache__|\.mypy_cache|.*\.egg-info)$/;

/** Every file below `dir`, relative, with its text; build leftovers aside. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && BUILD_LEFTOVERS.test(e.name)) continue;
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const GO_ENV = { ...process.env, PATH: `${process.env.PATH}${path.delimiter}/usr/local/go/bin`, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" };

const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/**
 * Issue 15 item 5 and issue 20 item 3: sdk/python and sdk/go are what tools/codegen makes of the
 * plugin's schema today, and they are packages a user installs: a wheel with its metadata that
 * installs into a fresh environment, and a Go module a program builds against (by a `replace`, as
 * docs/languages.md says). Programs on them run end to end in program-python and program-go.test.ts.
 */
describe("SDKs for Python and Go from the plugin's schema", () => {
  test("sdk/python and sdk/go are exactly what scripts/gen-sdks.sh generates from plugin/schema.json", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "cv-sdks-"));
    await run("bash", [path.join(ROOT, "scripts/gen-sdks.sh"), out], { env: GO_ENV, maxBuffer: 16 << 20 });
    for (const lang of ["python", "go"]) {
      const committed = tree(path.join(ROOT, "sdk", lang));
      delete committed["go.mod"];
      delete committed["go.sum"];
      expect([lang, tree(path.join(out, lang))]).toEqual([lang, committed]);
    }
  });

  test("sdk/python builds a wheel (name, package.json's version, the pulumi requirement) that installs into a fresh environment and imports", async () => {
    expect(fs.readFileSync(path.join(ROOT, "sdk/python/pulumi_commvault_tokens/access_token.py"), "utf8")).toContain('additional_secret_outputs=["accessToken", "refreshToken"]');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cv-wheel-"));
    await run("python3", ["-m", "venv", path.join(tmp, "venv")]);
    const py = path.join(tmp, "venv/bin/python");
    const pip = (...args: string[]) => run(py, ["-m", "pip", "--disable-pip-version-check", "--quiet", ...args], { maxBuffer: 16 << 20 });
    // From a copy: setuptools leaves build/ and *.egg-info in the folder it builds.
    fs.cpSync(path.join(ROOT, "sdk/python"), path.join(tmp, "src"), { recursive: true });
    await pip("wheel", "--no-deps", "-w", path.join(tmp, "dist"), path.join(tmp, "src"));
    const wheels = fs.readdirSync(path.join(tmp, "dist"));
    expect(wheels).toEqual([`pulumi_commvault_tokens-${PACKAGE_VERSION}-py3-none-any.whl`]);
    const wheel = path.join(tmp, "dist", wheels[0]);
    await pip("install", wheel);
    const meta = await run(py, ["-c", "import importlib.metadata as m; d = m.metadata('pulumi_commvault_tokens'); print(d['Name'], d['Version'], d['License-Expression'], len(d.get_payload() or '') > 0); print('\\n'.join(m.requires('pulumi_commvault_tokens')))"]);
    // The licence as an SPDX string (the generator's table form stops building in setuptools on
    // 2027-02-18), and the README as the long description.
    expect(meta.stdout).toContain(`pulumi_commvault_tokens ${PACKAGE_VERSION} Apache-2.0 True\n`);
    expect(meta.stdout).toMatch(/^pulumi<4\.0\.0,>=3\.269\.0$/m);
    // Imported from the environment, not from the checkout: the working folder is elsewhere.
    const imported = await run(py, ["-c", "import pulumi_commvault_tokens as c, inspect; print(inspect.getfile(c)); print(c.AccessToken.__name__, c.AccessTokenRotationArgs.__name__)"], { cwd: tmp });
    expect(imported.stdout).toContain(path.join(tmp, "venv/lib"));
    expect(imported.stdout).toContain("AccessToken AccessTokenRotationArgs");
  });

  test("sdk/go's go.mod is tidy, and a Go program builds against the module by a replace", async () => {
    await run("go", ["mod", "tidy", "-diff"], { cwd: path.join(ROOT, "sdk/go"), env: GO_ENV, maxBuffer: 16 << 20 });
    const types = fs.readFileSync(path.join(ROOT, "sdk/go/commvault/accessToken.go"), "utf8");
    expect(types).toMatch(/AccessToken +pulumi\.StringPtrOutput +`pulumi:"accessToken"`/);
    expect(types.replace(/\s+/g, " ")).toContain('pulumi.AdditionalSecretOutputs([]string{ "accessToken", "refreshToken", })');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-goprog-"));
    fs.writeFileSync(path.join(dir, "main.go"), fs.readFileSync(path.join(ROOT, "examples/go/main.go")));
    const go = (...args: string[]) => run("go", args, { cwd: dir, env: GO_ENV, maxBuffer: 16 << 20 });
    await go("mod", "init", "example.com/tokens");
    await go("mod", "edit", "-require=pulumi-commvault-tokens/sdk/go@v0.0.0", `-replace=pulumi-commvault-tokens/sdk/go=${path.join(ROOT, "sdk/go")}`);
    await go("mod", "tidy");
    // No -trimpath: the flags of the Go language host, so the compiled Pulumi SDK is shared with program-go.test.ts.
    await go("build", "-o", path.join(dir, "program"), ".");
    expect(fs.statSync(path.join(dir, "program")).size).toBeGreaterThan(1 << 20);
  });
});
