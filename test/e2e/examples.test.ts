import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ADMIN, ALICE, useEmulator } from "../helpers/emulator";
import { ROOT } from "../helpers/pack";
import { installPulumi, packAndInstall } from "../../scripts/tooling";

jest.setTimeout(300_000);

const run = promisify(execFile);
const EXAMPLES = fs.readdirSync(path.join(ROOT, "examples")).filter((d) => fs.existsSync(path.join(ROOT, "examples", d, "Pulumi.yaml")));
/** Run with their SDK and environment set up, by program-go.test.ts and program-python.test.ts. */
const OWN_TESTS = ["go", "python"];

/**
 * Every program in examples/ and the root Pulumi.yaml program, run the way a user runs them: the
 * plain `pulumi` CLI and its language host in the program's folder, with the program's own
 * Pulumi.yaml and Pulumi.dev.yaml and the packed package installed beside it. Only the emulator's
 * address and the password are set here. up, a preview with no changes, destroy.
 */
describe("end to end: plain `pulumi` runs every example and the root program", () => {
  const h = useEmulator();
  let env: NodeJS.ProcessEnv;
  let modules: string;

  beforeAll(() => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cv-cli-"));
    env = {
      ...process.env,
      PATH: `${path.join(installPulumi(), "bin")}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "cli-test-passphrase",
      PULUMI_HOME: path.join(tmp, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    fs.mkdirSync(path.join(tmp, "state"));
    modules = path.join(tmp, "modules");
    packAndInstall(modules, { linkPulumi: true, quiet: true });
  });

  const pulumi = async (cwd: string, ...args: string[]) => (await run("pulumi", [...args, "--non-interactive"], { cwd, env, maxBuffer: 16 << 20 })).stdout;

  /** Copies a program into a temporary folder with the installed package beside it. */
  function place(files: [string, string][]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-program-"));
    for (const [from, to] of files) fs.cpSync(path.join(ROOT, from), path.join(dir, to), { recursive: true });
    return dir;
  }

  async function lifecycle(dir: string, programDir: string, stack: string, password: string, config: Record<string, string> = {}): Promise<void> {
    fs.symlinkSync(path.join(modules, "node_modules"), path.join(programDir, "node_modules"), "dir");
    await pulumi(dir, "stack", "init", stack);
    for (const [k, v] of Object.entries({ ...config, "commvault:url": h.running.url })) await pulumi(dir, "config", "set", k, v);
    await pulumi(dir, "config", "set", "--secret", "commvault:password", password);
    const up = await pulumi(dir, "up", "--yes", "--skip-preview");
    expect(up).toMatch(/created/);
    expect(up).not.toMatch(/warning: using pulumi-language-nodejs from \$PATH/);
    const created = h.running.emulator.store.data.tokens.length;
    expect(created).toBeGreaterThan(0);
    await pulumi(dir, "preview", "--expect-no-changes");
    await pulumi(dir, "destroy", "--yes");
    expect(h.running.emulator.store.data.tokens).toEqual([]);
  }

  test("there are at least three examples, each with a README", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(3);
    for (const e of EXAMPLES) expect(fs.existsSync(path.join(ROOT, "examples", e, "README.md"))).toBe(true);
    for (const e of OWN_TESTS) expect(fs.existsSync(path.join(ROOT, "test/e2e", `program-${e}.test.ts`))).toBe(true);
  });

  test.each(EXAMPLES.filter((e) => !OWN_TESTS.includes(e)))("examples/%s", async (example) => {
    const dir = place([[`examples/${example}`, "."]]);
    const username = /commvault:username:\s*(\S+)/.exec(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8"))![1]!;
    await lifecycle(dir, dir, "dev", username === ALICE.username ? ALICE.password : ADMIN.password);
  });

  test("the root Pulumi.yaml program (demo/)", async () => {
    const dir = place([["Pulumi.yaml", "Pulumi.yaml"], ["demo/index.ts", "demo/index.ts"], ["demo/package.json", "demo/package.json"]]);
    await lifecycle(dir, path.join(dir, "demo"), "ci", ADMIN.password, { "commvault:username": ADMIN.username });
  });
});
