import * as fs from "node:fs";
import * as path from "node:path";
import type { Language } from "./language-program";
import { ROOT } from "./pack";

/** `text` with `from` replaced, which it must hold (else the message changed and the test is stale). */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the message no longer says ${from}: ${text}`);
  return text.replace(from, to);
}

/** The project's environment: pulumi from PyPI and the SDK from its wheel (scripts/python-sdk.sh, run by the install script). */
export const VENV = path.join(ROOT, ".tools/venv");

/**
 * examples/go as a test runs it: a copy whose go.mod points the SDK's module path at the
 * checkout's sdk/go, built with the flags every Go build of the tests uses (one build cache).
 */
export const GO: Language = {
  name: "go",
  main: "main.go",
  prepare(dir) {
    const mod = path.join(dir, "go.mod");
    const text = fs.readFileSync(mod, "utf8");
    if (!text.includes("=> ../../sdk/go")) throw new Error(`${mod} no longer replaces the SDK by ../../sdk/go`);
    fs.writeFileSync(mod, text.replace("=> ../../sdk/go", `=> ${path.join(ROOT, "sdk/go")}`));
  },
  env: { GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" },
  path: ["/usr/local/go/bin"],
  rename: ['Name:         pulumi.String("go-ci")', 'Name:         pulumi.String("go-ci-2")'],
  allowlist: ['pulumi.String("10.20.0.0/16")', 'pulumi.String("10.30.0.0/16")'],
  scopeChange: [
    ['Scope:     pulumi.String("MicrosoftSCIM")', 'Scope:     pulumi.String("All")'],
    ['ExpiresIn: pulumi.String("30d")', 'RenewableFor: pulumi.String("30d")'],
  ],
  scopeRefusal: (ts) => `S${swap(ts, "set replaceOnForbiddenScopeChange: true", "set ReplaceOnForbiddenScopeChange: pulumi.Bool(true)").slice(1)}`,
  paste(dir, code) {
    fs.writeFileSync(path.join(dir, "imported.go"), code);
    const main = path.join(dir, "main.go");
    const text = fs.readFileSync(main, "utf8");
    const at = '\t\tctx.Export("ciTokenId"';
    if (!text.includes(at)) throw new Error(`${main} has no ${at.trim()} to call imported(ctx) before`);
    fs.writeFileSync(main, text.replace(at, `\t\tif err := imported(ctx); err != nil {\n\t\t\treturn err\n\t\t}\n${at}`));
  },
  importedCode: [/^package main$/m, /func imported\(ctx \*pulumi\.Context\) error \{/, /commvault\.NewAccessToken\(ctx, "legacy", &commvault\.AccessTokenArgs\{/, /Name: +pulumi\.String\("legacy"\)/, /Scope: +pulumi\.String\("Custom"\)/, /UserId: +pulumi\.Int\(21\)/, /pulumi\.String\("\/client"\)/, /pulumi\.String\("10\.0\.0\.1"\)/, /pulumi\.Protect\(true\)/],
};

/** examples/python as a test runs it: a copy whose Pulumi.yaml names the project's environment as its virtualenv. */
export const PYTHON: Language = {
  name: "python",
  main: "__main__.py",
  prepare(dir) {
    const project = path.join(dir, "Pulumi.yaml");
    const text = fs.readFileSync(project, "utf8");
    if (!text.includes("virtualenv: venv")) throw new Error(`${project} no longer says virtualenv: venv`);
    fs.writeFileSync(project, text.replace("virtualenv: venv", `virtualenv: ${VENV}`));
  },
  env: {},
  path: [],
  rename: ['name="python-ci"', 'name="python-ci-2"'],
  allowlist: ['"10.20.0.0/16"', '"10.30.0.0/16"'],
  scopeChange: [
    ['scope="MicrosoftSCIM"', 'scope="All"'],
    ['expires_in="30d"', 'renewable_for="30d"'],
  ],
  scopeRefusal: (ts) => swap(ts, "set replaceOnForbiddenScopeChange: true", "set replace_on_forbidden_scope_change=True"),
  paste(dir, code) {
    fs.appendFileSync(path.join(dir, "__main__.py"), `\n${code}`);
  },
  importedCode: [/^import pulumi_commvault_tokens as commvault$/m, /legacy = commvault\.AccessToken\("legacy",/, /name="legacy"/, /scope="Custom"/, /user_id=21/, /"\/client"/, /"10\.0\.0\.1"/, /opts ?= ?pulumi\.ResourceOptions\(protect=True\)/],
};
