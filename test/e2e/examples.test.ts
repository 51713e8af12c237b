import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ADMIN, ALICE, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { e2eProject, type E2eProject } from "../helpers/pulumi";

jest.setTimeout(300_000);

const EXAMPLES = fs.readdirSync(path.join(ROOT, "examples")).filter((d) => fs.existsSync(path.join(ROOT, "examples", d, "Pulumi.yaml")));

/**
 * Every program in examples/, as a user would run it: its own Pulumi.yaml and Pulumi.dev.yaml,
 * the packed package installed beside it. Only the emulator's address and the password are set
 * here. up, then a preview with no changes, then destroy.
 */
describe("end to end: every example runs", () => {
  const h = useEmulator();
  let project: E2eProject;
  beforeAll(async () => {
    project = await e2eProject();
  });

  test("there are at least three examples, each with a README", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(3);
    for (const e of EXAMPLES) expect(fs.existsSync(path.join(ROOT, "examples", e, "README.md"))).toBe(true);
  });

  test.each(EXAMPLES)("%s: up, a preview with no changes, destroy", async (example) => {
    const dir = path.join(project.dir, "examples", example);
    fs.cpSync(path.join(ROOT, "examples", example), dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
    fs.symlinkSync(path.join(project.dir, "node_modules"), path.join(dir, "node_modules"), "dir");
    const projectName = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"))![1]!;
    const username = /commvault:username:\s*(\S+)/.exec(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8"))![1]!;
    const password = username === ALICE.username ? ALICE.password : ADMIN.password;

    // What `pulumi up` would compile and run. A Pulumi program runs its top level once per run,
    // so each run evaluates it afresh (jest's module registry would hand back the first run's).
    const code = ts.transpileModule(fs.readFileSync(path.join(dir, "index.ts"), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const program = async () => {
      const module = { exports: {} as Record<string, unknown> };
      new Function("exports", "require", "module", "__filename", "__dirname", code)(module.exports, project.require, module, path.join(dir, "index.js"), dir);
      return module.exports;
    };
    const stack = await project.newStack("dev", program, { "commvault:url": { value: h.running.url }, "commvault:password": { value: password, secret: true } }, { projectName, workDir: dir });

    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const created = h.running.emulator.store.data.tokens.length;
    expect(created).toBeGreaterThan(0);
    expect(up.summary.resourceChanges!.create).toBe(created + 1);
    await stack.preview({ expectNoChanges: true });
    await stack.destroy();
    expect(h.running.emulator.store.data.tokens).toEqual([]);
  });
});
