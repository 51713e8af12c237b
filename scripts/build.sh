#!/usr/bin/env bash
# `npm run build`: compiles provider/, plugin/, sdk/ and emulator/ into dist/.
# Programs, the plugin and the emulator run from dist/ while other processes build (jest's workers
# each build before they pack; a user rebuilds while a `pulumi up` runs). tsc rewrites every output
# in place, and a process that loads a file mid-write fails at random. So tsc writes into a fresh
# folder, and only the files that changed move into dist/, each by a rename, which a reader sees
# whole or not at all; builds that start at once wait for each other. Each file is swapped whole,
# not dist/ as a whole: a process that loads modules while changed sources are synced may get some
# new files and some old (only when the sources changed between builds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/.tools" "$root/dist"
exec 7>"$root/.tools/build.lock"
# util-linux's flock is not on every machine (macOS): there, builds that start at once are not
# serialised, and each file still moves whole.
if command -v flock >/dev/null; then flock 7; fi
# What a killed build left (the lock is ours, so no build is using it).
rm -rf "$root"/.tools/build-??????
# Beside dist/, on the same file system, so that the renames are atomic.
stage="$(mktemp -d "$root/.tools/build-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
node "$root/node_modules/typescript/bin/tsc" -p "$root/tsconfig.build.json" --outDir "$stage"
node "$root/scripts/sync-dist.js" "$stage" "$root/dist"
