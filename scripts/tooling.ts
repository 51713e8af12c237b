import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** Shared by the demo and the tests: the CLI, and the package installed the way a user installs it. */
export const ROOT = path.resolve(__dirname, "..");

/** Runs scripts/install-pulumi.sh (progress on stderr) and returns the folder that holds `bin/pulumi`. */
export function installPulumi(): string {
  const out = execFileSync("bash", [path.join(ROOT, "scripts/install-pulumi.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const bin = out.trim().split("\n").pop()!;
  if (!fs.existsSync(path.join(bin, "pulumi"))) throw new Error(`scripts/install-pulumi.sh gave ${bin}, which holds no pulumi`);
  return path.dirname(bin);
}

/**
 * Packs this package (its prepack builds it) and installs the tarball into `dir`, as a user
 * would: nothing is imported by relative path, so `__provider` holds a require of the installed
 * package. With `linkPulumi`, @pulumi/pulumi is this repository's copy, so that one process that
 * runs the Automation API and the program shares one SDK. `from`: the checkout to pack (default
 * this one), e.g. an earlier commit the benchmark compares state with.
 */
export function packAndInstall(dir: string, opts: { linkPulumi?: boolean; quiet?: boolean; from?: string } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const packDir = fs.mkdtempSync(path.join(dir, ".pack-"));
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { cwd: opts.from ?? ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const tarball = path.join(packDir, out.trim().split("\n").pop()!);
  const pkgFile = path.join(dir, "package.json");
  const pkg = fs.existsSync(pkgFile) ? (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as Record<string, unknown>) : { name: path.basename(dir), private: true };
  if (!opts.linkPulumi) {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
    pkg.dependencies = { ...(pkg.dependencies as object), "@pulumi/pulumi": version };
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  } else if (!fs.existsSync(pkgFile)) {
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
  }
  const args = ["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball];
  execFileSync("npm", opts.linkPulumi ? [...args, "--legacy-peer-deps"] : args, { cwd: dir, stdio: ["ignore", opts.quiet ? "ignore" : "inherit", "inherit"] });
  if (opts.linkPulumi) {
    const link = path.join(dir, "node_modules/@pulumi/pulumi");
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.join(ROOT, "node_modules/@pulumi/pulumi"), link, "dir");
  }
  fs.rmSync(packDir, { recursive: true, force: true });
  return tarball;
}
