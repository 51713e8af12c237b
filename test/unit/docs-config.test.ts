import * as fs from "node:fs";
import * as path from "node:path";
import { sources } from "../helpers/imports";
import { SETTINGS } from "../../provider/connection/config";
import { NOW_VARIABLE } from "../../provider/connection/clock";

const ROOT = path.resolve(__dirname, "../..");

/** Every environment variable the code reads: process.env.X in TypeScript, ${X:-…} in the scripts, the settings' fall-backs. */
function variablesInCode(): Map<string, string> {
  const found = new Map<string, string>();
  const add = (name: string, where: string) => found.has(name) || found.set(name, where);
  for (const dir of ["provider", "sdk", "plugin", "emulator", "scripts"]) {
    for (const file of sources(ROOT, dir)) {
      const text = fs.readFileSync(path.join(ROOT, file), "utf8");
      for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*"([A-Z][A-Z0-9_]*)"\s*\])/g)) add((m[1] ?? m[2])!, file);
      for (const m of text.matchAll(/"(BENCH_[A-Z0-9_]+)"/g)) add(m[1]!, file);
    }
  }
  const shells = (dir: string): string[] =>
    fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shells(path.join(dir, e.name)) : e.name.endsWith(".sh") ? [path.join(dir, e.name)] : []));
  for (const file of [...shells("scripts"), ...shells("examples")]) {
    for (const m of fs.readFileSync(path.join(ROOT, file), "utf8").matchAll(/\$\{([A-Z][A-Z0-9_]*):-/g)) add(m[1]!, file);
  }
  for (const s of Object.values(SETTINGS)) add(s.env, "provider/connection/config.ts");
  add(NOW_VARIABLE, "provider/connection/clock.ts");
  return found;
}

/** Issue 21 item 2: every configuration key and environment variable is on the installation page. */
describe("docs/installation-configuration.md", () => {
  const page = fs.readFileSync(path.join(ROOT, "docs/installation-configuration.md"), "utf8");

  test("names every stack config key of the provider", () => {
    const missing = Object.values(SETTINGS).map((s) => s.key).filter((k) => !page.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    expect(page).toContain("commvault:servers.<name>");
  });

  test("names every environment variable the code reads", () => {
    const found = variablesInCode();
    expect(found.size).toBeGreaterThan(30);
    const missing = [...found].filter(([name]) => !page.includes(name)).map(([name, where]) => `${name} (read in ${where})`);
    expect(missing).toEqual([]);
  });
});
