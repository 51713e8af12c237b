#!/usr/bin/env bash
# `npm run build`: compiles provider/, plugin/, sdk/ and emulator/ into dist/.
# Programs, the plugin and the emulator run from dist/ while other processes build (jest's workers
# each build before they pack; a user rebuilds while a `pulumi up` runs). tsc rewrites every output
# in place, and a process that loads a file mid-write fails at random. So tsc writes into a fresh
# folder, and only the files that changed move into dist/, each by a rename, which a reader sees
# whole or not at all; builds that start at once wait for each other.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/.tools" "$root/dist"
exec 7>"$root/.tools/build.lock"
flock 7
# Beside dist/, on the same file system, so that the renames are atomic.
stage="$(mktemp -d "$root/.tools/build-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
node "$root/node_modules/typescript/bin/tsc" -p "$root/tsconfig.build.json" --outDir "$stage"
node "$root/scripts/sync-dist.js" "$stage" "$root/dist"
