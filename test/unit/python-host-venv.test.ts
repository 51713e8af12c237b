import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../helpers/pack";

/**
 * Issue 20 item 5: scripts/pulumi-language-python.sh passes the host only the project's
 * runtime.options.virtualenv: not a `virtualenv:` in a comment, nor another key of that name.
 * Run beside a stand-in host that prints the arguments it was given.
 */
function hostArgs(pulumiYaml: string): string[] {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pyhost-"));
  fs.copyFileSync(path.join(ROOT, "scripts/pulumi-language-python.sh"), path.join(bin, "pulumi-language-python"));
  fs.writeFileSync(path.join(bin, "pulumi-language-python-host"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n", { mode: 0o755 });
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "cv-pyproject-"));
  fs.writeFileSync(path.join(project, "Pulumi.yaml"), pulumiYaml);
  return execFileSync("bash", [path.join(bin, "pulumi-language-python"), "127.0.0.1:1"], { cwd: project, encoding: "utf8" }).trim().split("\n").filter((a) => a.startsWith("-virtualenv"));
}

describe("the Python host's virtualenv is runtime.options.virtualenv, and nothing else", () => {
  test.each([
    ["block style, after a comment that names another", "name: p\n# virtualenv: /opt/old-venv\nruntime:\n  name: python\n  options:\n    virtualenv: venv # ours\n", ["-virtualenv=venv"]],
    ["block style, quoted", "name: p\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: \"my venv\"\n", ["-virtualenv=my venv"]],
    ["flow style options", "name: p\nruntime:\n  name: python\n  options: {toolchain: pip, virtualenv: venv}\n", ["-virtualenv=venv"]],
    ["flow style runtime", "name: p\nruntime: {name: python, options: {virtualenv: 'venv'}}\n", ["-virtualenv=venv"]],
    ["only a comment", "name: p\nruntime: python # virtualenv: venv\n", []],
    ["a key of that name elsewhere", "name: p\nconfig:\n  virtualenv: /opt/other\nruntime:\n  name: python\n", []],
    ["options.virtualenv outside runtime", "name: p\noptions:\n  virtualenv: /opt/other\nruntime: python\n", []],
  ])("%s", (_what, yaml, expected) => {
    expect(hostArgs(yaml)).toEqual(expected);
  });
});
