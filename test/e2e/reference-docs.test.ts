import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../helpers/pack";

const run = promisify(execFile);
jest.setTimeout(900_000);

const GO_ENV = { ...process.env, PATH: `${process.env.PATH}${path.delimiter}/usr/local/go/bin`, GOFLAGS: "-buildvcs=false", GOTOOLCHAIN: "auto", CGO_ENABLED: "0" };

/**
 * Issue 21 item 3: docs/reference.md is what tools/codegen writes from plugin/schema.json, whose
 * descriptions are also the SDKs' doc comments. scripts/codegen.sh builds the tool into
 * .tools/codegen from Go's build cache, which the SDK test fills: seconds after the first build.
 */
describe("the reference page from the plugin's schema", () => {
  test("docs/reference.md is exactly what `npm run docs:gen` generates from plugin/schema.json", async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cv-ref-")), "reference.md");
    await run("bash", [path.join(ROOT, "scripts/gen-docs.sh"), out], { env: GO_ENV, maxBuffer: 16 << 20 });
    const generated = fs.readFileSync(out, "utf8");
    const committed = fs.readFileSync(path.join(ROOT, "docs/reference.md"), "utf8");
    if (generated !== committed) throw new Error("docs/reference.md differs from what plugin/schema.json generates: run `npm run docs:gen` and commit the result");
  });

  test("every input and output of AccessToken and listAccessTokens has a row, with type, default and scopes", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "plugin/schema.json"), "utf8"));
    const page = fs.readFileSync(path.join(ROOT, "docs/reference.md"), "utf8");
    const section = (title: string) => page.slice(page.indexOf(title), page.indexOf("\n## ", page.indexOf(title) + 1));
    const rows = (text: string, heading: string) => {
      const start = text.indexOf(heading);
      const end = text.indexOf("\n### ", start + 1);
      return text.slice(start, end < 0 ? undefined : end).split("\n").filter((l) => l.startsWith("| `"));
    };
    const token = schema.resources["commvault:index:AccessToken"];
    const fn = schema.functions["commvault:index:listAccessTokens"];
    const cases: [string, string, Record<string, unknown>][] = [
      ["## Resource `AccessToken`", "### Inputs", token.inputProperties],
      ["## Resource `AccessToken`", "### Outputs", token.properties],
      ["## Function `listAccessTokens`", "### Inputs", fn.inputs.properties],
      ["## Function `listAccessTokens`", "### Outputs", fn.outputs.properties],
    ];
    for (const [title, heading, props] of cases) {
      const names = rows(section(title), heading).map((r) => /^\| `([^`]+)`/.exec(r)![1]);
      expect([title, heading, names.sort()]).toEqual([title, heading, Object.keys(props).sort()]);
      for (const r of rows(section(title), heading)) expect(r.split(" | ")).toHaveLength(5);
    }
    // The scope sentence of a description becomes its column: renewableUntil is for All, Custom, Hyperscale.
    expect(rows(section("## Resource `AccessToken`"), "### Inputs").find((r) => r.startsWith("| `renewableUntil`"))).toContain("| All, Custom, Hyperscale |");
    expect(rows(section("## Resource `AccessToken`"), "### Inputs").find((r) => r.startsWith("| `scope`"))).toMatch(/\| string \| All \|/);
  });
});
