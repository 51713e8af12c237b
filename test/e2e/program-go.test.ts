import * as fs from "node:fs";
import * as path from "node:path";
import { describeProgram } from "../helpers/language-program";
import { ROOT } from "../helpers/pack";

// The first build of a Go program compiles Pulumi's Go SDK (about 3.5 minutes on 2 cores); it
// lands in Go's build cache, shared with plugin-sdks.test.ts and the package tests (same flags).
jest.setTimeout(900_000);

/** Issue 20 item 1: examples/go, a Go program on sdk/go, under the plain CLI (pulumi-language-go beside it). */
describeProgram({
  name: "go",
  main: "main.go",
  prepare(dir) {
    // The example points its SDK's module path at ../../sdk/go; from a copy, at the checkout's.
    const mod = path.join(dir, "go.mod");
    const text = fs.readFileSync(mod, "utf8");
    expect(text).toContain("=> ../../sdk/go");
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
  paste(dir, code) {
    fs.writeFileSync(path.join(dir, "imported.go"), code);
    const main = path.join(dir, "main.go");
    const text = fs.readFileSync(main, "utf8");
    const at = '\t\tctx.Export("ciTokenId"';
    expect(text).toContain(at);
    fs.writeFileSync(main, text.replace(at, `\t\tif err := imported(ctx); err != nil {\n\t\t\treturn err\n\t\t}\n${at}`));
  },
  importedCode: [/^package main$/m, /func imported\(ctx \*pulumi\.Context\) error \{/, /commvault\.NewAccessToken\(ctx, "legacy", &commvault\.AccessTokenArgs\{/, /Name: +pulumi\.String\("legacy"\)/, /Scope: +pulumi\.String\("Custom"\)/, /UserId: +pulumi\.Int\(21\)/, /pulumi\.String\("\/client"\)/, /pulumi\.String\("10\.0\.0\.1"\)/, /pulumi\.Protect\(true\)/],
});
