// Moves what tsc wrote into `stage` over `dist`, one rename per file that differs (see build.sh),
// so that a file another process is loading is never half-written. Files of dist/ that the build
// no longer makes (a source deleted or moved) are removed, as a clean build would leave them.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const [stage, dist] = process.argv.slice(2);

function files(dir, rel = "") {
  const out = [];
  if (!fs.existsSync(path.join(dir, rel))) return out;
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...files(dir, r));
    else out.push(r);
  }
  return out;
}

const made = new Set(files(stage));
let moved = 0;
for (const rel of made) {
  const from = path.join(stage, rel);
  const to = path.join(dist, rel);
  if (fs.existsSync(to) && fs.readFileSync(to).equals(fs.readFileSync(from))) continue;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.renameSync(from, to);
  moved++;
}
let removed = 0;
for (const rel of files(dist)) {
  if (made.has(rel)) continue;
  fs.rmSync(path.join(dist, rel));
  removed++;
}
// Folders left empty by those removals go too.
function prune(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) prune(path.join(dir, e.name));
  if (dir !== dist && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
}
if (removed > 0) prune(dist);
if (process.env.BUILD_VERBOSE) console.error(`build: ${moved} file(s) changed, ${removed} removed`);
