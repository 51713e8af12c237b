import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { ROOT, installPackedPackage } from "../helpers/pack";

const run = promisify(execFile);

const SECRET = "pw-that-must-never-be-serialized";

describe("the packed package, installed the way a user installs it", () => {
  let dir: string;
  beforeAll(() => {
    ({ dir } = installPackedPackage());
    for (const f of ["serialize.js", "load.js", "use-provider.js"]) fs.copyFileSync(path.join(ROOT, "test/fixtures/fresh-project", f), path.join(dir, f));
  }, 300_000);

  test("__provider is a tiny require of the installed package, free of secrets, and loads in a fresh process", () => {
    const env = { ...process.env, COMMVAULT_URL: "https://cs.example.com", COMMVAULT_USERNAME: "admin", COMMVAULT_PASSWORD: SECRET, PULUMI_CONFIG: JSON.stringify({ "commvault:password": SECRET }) };
    const { provider } = JSON.parse(execFileSync(process.execPath, ["serialize.js"], { cwd: dir, env, encoding: "utf8" })) as { provider: string };
    expect(typeof provider).toBe("string");
    // The shortest module the dynamic provider host loads (issue 22: it is stored twice per token,
    // and the engine rewrites every token's state after each step), with the path every earlier
    // version's state holds.
    expect(provider).toBe('exports.handler=()=>require("pulumi-commvault-tokens/provider.js")');
    expect(provider).not.toContain(SECRET);
    expect(provider).not.toMatch(/axios|zod|ipaddr/);

    const loaded = JSON.parse(execFileSync(process.execPath, ["load.js"], { cwd: dir, input: provider, encoding: "utf8", env: { PATH: process.env.PATH } })) as {
      methods: string[];
      check: { inputs: Record<string, unknown>; failures: unknown[] };
    };
    expect(loaded.methods).toEqual(["configure", "check", "diff", "create", "read", "update", "delete"]);
    expect(loaded.check.failures).toEqual([]);
    expect(loaded.check.inputs).toMatchObject({ name: "fresh", scope: "All", ipAllowlist: ["10.0.0.1"] });
  });

  test('require("<package>/provider") is the provider itself, configured by COMMVAULT_* variables', async () => {
    const emu = await startEmulator();
    try {
      const env = { PATH: process.env.PATH, COMMVAULT_URL: emu.url, COMMVAULT_USERNAME: "admin", COMMVAULT_PASSWORD: "admin-password" };
      const out = JSON.parse((await run(process.execPath, ["use-provider.js"], { cwd: dir, env })).stdout) as Record<string, unknown>;
      expect(out).toEqual({ id: expect.stringMatching(/^21:\d+$/), name: "from-env", ipAllowlist: ["10.0.0.1"], goneId: null });
      expect(emu.emulator.store.data.tokens).toEqual([]);
    } finally {
      await emu.close();
    }
  });

  test("the tarball ships the built code and the shim, not the tests or source maps", () => {
    const files = execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: ROOT, encoding: "utf8" });
    const names = (JSON.parse(files) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(names).toEqual(expect.arrayContaining(["provider.js", "dist/provider/index.js", "dist/sdk/index.js", "dist/sdk/index.d.ts", "dist/emulator/cli.js"]));
    expect(names.filter((n) => n.startsWith("test/") || n.includes(".test.") || n.endsWith(".map"))).toEqual([]);
  });
});
