import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, packAndInstall } from "../../scripts/tooling";

export { ROOT };

/** A new project in a temporary folder with the packed package installed. */
export function installPackedPackage(opts: { linkPulumi?: boolean } = {}): { dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cv-fresh-"));
  packAndInstall(dir, { ...opts, quiet: true });
  return { dir };
}
