import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/pack";

const run = promisify(execFile);
jest.setTimeout(900_000);

/** Every file below `dir`, relative, with its text. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

const GO_ENV = { ...process.env, PATH: `${process.env.PATH}${path.delimiter}/usr/local/go/bin`, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" };

/**
 * Issue 15 item 5: the Python and Go SDKs in sdk/ are what tools/codegen makes of the plugin's
 * schema today, and they build: Python compiles, Go builds. Neither language's host runs here, so
 * these SDKs are checked at build only (YAML and TypeScript are tested end to end).
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

  test("the Python SDK compiles (python3 -m py_compile)", async () => {
    const files = Object.keys(tree(path.join(ROOT, "sdk/python"))).filter((f) => f.endsWith(".py"));
    expect(files).toContain("pulumi_commvault_tokens/access_token.py");
    expect(fs.readFileSync(path.join(ROOT, "sdk/python/pulumi_commvault_tokens/access_token.py"), "utf8")).toContain('additional_secret_outputs=["accessToken", "refreshToken"]');
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pyc-"));
    await run("python3", ["-m", "py_compile", ...files], { cwd: path.join(ROOT, "sdk/python"), env: { ...process.env, PYTHONPYCACHEPREFIX: cache } });
  });

  test("the Go SDK builds (go build ./... against github.com/pulumi/pulumi/sdk/v3)", async () => {
    await run("go", ["build", "-trimpath", "./..."], { cwd: path.join(ROOT, "sdk/go"), env: GO_ENV, maxBuffer: 16 << 20 });
    const types = fs.readFileSync(path.join(ROOT, "sdk/go/commvault/accessToken.go"), "utf8");
    expect(types).toMatch(/AccessToken +pulumi\.StringPtrOutput +`pulumi:"accessToken"`/);
    expect(types.replace(/\s+/g, " ")).toContain('pulumi.AdditionalSecretOutputs([]string{ "accessToken", "refreshToken", })');
  });
});
