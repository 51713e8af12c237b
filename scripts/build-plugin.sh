#!/usr/bin/env bash
# Builds the provider plugin tarball that users install as they install any Pulumi provider:
#   pulumi plugin install resource commvault <version> -f <tarball>
# The tarball holds the launcher pulumi-resource-commvault, the compiled plugin and provider core
# (dist/), and their production node_modules; it runs on the machine's Node.js (20 or newer).
# Prints the tarball's path on the last line of stdout; progress goes to stderr.
#   scripts/build-plugin.sh            # into .tools/plugin/
#   scripts/build-plugin.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mkdir -p "${1:-$root/.tools/plugin}" && cd "${1:-$root/.tools/plugin}" && pwd)"
log() { echo "build-plugin: $*" >&2; }
start=$(date +%s)

version="$(node -p 'require(process.argv[1]).version' "$root/package.json")"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
tarball="$out/pulumi-resource-commvault-v$version-$os-$arch.tar.gz"

(cd "$root" && npm run --silent build >&2)
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$root/plugin/bin/pulumi-resource-commvault" "$stage/"
mkdir -p "$stage/dist"
cp -r "$root/dist/plugin" "$root/dist/provider" "$stage/dist/"
# The production dependencies, and the @pulumi/pulumi this project is built and tested with (a
# peer dependency of the Node.js package; the plugin carries its own).
node -e '
  const [root, stage] = process.argv.slice(1);
  const pkg = require(root + "/package.json");
  const sdk = require(root + "/node_modules/@pulumi/pulumi/package.json").version;
  const out = { name: "pulumi-resource-commvault", version: pkg.version, private: true, license: pkg.license,
    dependencies: { ...pkg.dependencies, "@pulumi/pulumi": sdk } };
  require("fs").writeFileSync(stage + "/package.json", JSON.stringify(out, null, 2) + "\n");
' "$root" "$stage"
log "installing production dependencies"
(cd "$stage" && npm install --omit=dev --omit=peer --prefer-offline --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
rm -f "$stage/package-lock.json"
tar -czf "$tarball.tmp" -C "$stage" .
mv "$tarball.tmp" "$tarball"
log "$(basename "$tarball"): $(du -h "$tarball" | cut -f1) in $(( $(date +%s) - start ))s"
echo "$tarball"
