import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");

/**
 * Packs this package (its prepack builds it) and installs the tarball into a new project, the
 * way a user would: nothing is imported by relative path. Returns the project's folder.
 */
export function installPackedPackage(opts: { linkPulumi?: boolean } = {}): { dir: string; tarball: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-fresh-"));
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
  const tarball = path.join(dir, out.trim().split("\n").pop()!);
  const pulumiVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "fresh-project", private: true, dependencies: { "pulumi-commvault-tokens": `file:${tarball}`, ...(opts.linkPulumi ? {} : { "@pulumi/pulumi": pulumiVersion }) } }, null, 2),
  );
  const args = ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];
  execFileSync("npm", opts.linkPulumi ? [...args, "--legacy-peer-deps"] : args, { cwd: dir, stdio: "inherit" });
  if (opts.linkPulumi) {
    // One SDK in the process: the Automation API that runs the program and the AccessToken
    // resource it declares must share Pulumi's runtime state.
    fs.mkdirSync(path.join(dir, "node_modules/@pulumi"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules/@pulumi/pulumi"), path.join(dir, "node_modules/@pulumi/pulumi"), "dir");
  }
  return { dir, tarball };
}
