import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../helpers/pack";

jest.setTimeout(120_000);

const build = () => execFileSync("bash", [path.join(ROOT, "scripts/build.sh")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
const ENTRY = path.join(ROOT, "dist/plugin/index.js");

/**
 * Test files build the checkout (`npm run build`, or `npm pack` and its prepack) while other test
 * files run the plugin and programs from dist/. A build that rewrites a file a process is loading
 * made a Python program's refresh fail at random in CI; a build leaves unchanged files untouched,
 * and a changed one appears whole.
 */
describe("npm run build while dist/ is in use", () => {
  test("a build of unchanged sources rewrites no file of dist/", () => {
    build();
    const before = fs.statSync(ENTRY);
    build();
    const after = fs.statSync(ENTRY);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  test("a changed output replaces the old file by rename; an unchanged one keeps its inode; one the build no longer makes goes", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cv-build-"));
    const [stage, dist] = [path.join(tmp, "stage"), path.join(tmp, "dist")];
    const put = (dir: string, rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    put(stage, "plugin/index.js", "new");
    put(stage, "provider/same.js", "same");
    put(dist, "plugin/index.js", "old");
    put(dist, "provider/same.js", "same");
    put(dist, "provider/moved-away.js", "gone");
    // A reader that opened the old file before the build keeps reading all of it.
    const reader = fs.openSync(path.join(dist, "plugin/index.js"), "r");
    const sameIno = fs.statSync(path.join(dist, "provider/same.js")).ino;
    execFileSync("node", [path.join(ROOT, "scripts/sync-dist.js"), stage, dist]);
    expect(fs.readFileSync(reader, "utf8")).toBe("old");
    fs.closeSync(reader);
    expect(fs.readFileSync(path.join(dist, "plugin/index.js"), "utf8")).toBe("new");
    expect(fs.statSync(path.join(dist, "provider/same.js")).ino).toBe(sameIno);
    expect(fs.existsSync(path.join(dist, "provider/moved-away.js"))).toBe(false);
    put(dist, "gone/only.js", "x");
    execFileSync("node", [path.join(ROOT, "scripts/sync-dist.js"), stage, dist]);
    expect(fs.existsSync(path.join(dist, "gone"))).toBe(false);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
