#!/usr/bin/env bash
# Installs the policy pack's dependencies (policy/node_modules) and compiles it (policy/dist):
# all that `pulumi preview --policy-pack policy/pack` needs besides the CLI. Runs on `npm ci` and
# `npm install` in this repository (the `prepare` script) and alone as `npm run policy:install`.
# A second run does nothing unless something changed: the install is skipped while
# policy/package-lock.json and the Node.js version are those it was made with, and the compile
# while policy/dist is newer than policy/src.
set -euo pipefail
# npm also runs `prepare` before `npm pack` and `npm publish`, which need no policy pack.
case "${npm_command:-}" in pack|publish) exit 0 ;; esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/policy"
log() { echo "install-policy: $*" >&2; }
# One install at a time (parallel test workers, a developer's second terminal).
if command -v flock >/dev/null; then
  exec 9>"$root/policy/.install.lock"
  flock -w 300 9 || { log "another install of the policy pack holds policy/.install.lock for over 300 s"; exit 1; }
fi
stamp=node_modules/.commvault-policy-install
want="$(cksum < package-lock.json) node $(node --version)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  start=$(date +%s)
  # --ignore-scripts: the pack's own `prepare` would compile before its install is complete.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
  log "policy/node_modules installed in $(( $(date +%s) - start ))s"
fi
# Compile when the compiled pack is older than its sources (never under a running pack otherwise).
if [[ ! -f dist/index.js || -n "$(find src tsconfig.json package-lock.json -newer dist/index.js -print -quit)" ]]; then
  npm run --silent build >&2
fi
