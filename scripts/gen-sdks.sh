#!/usr/bin/env bash
# Regenerates the Python and Go SDKs of the provider plugin from plugin/schema.json, with the
# project's tools/codegen (Pulumi's code generators from github.com/pulumi/pulumi/pkg/v3; the
# Python and Go language hosts are not needed), and docs/reference.md from the same
# descriptions (scripts/gen-docs.sh). About 2 to 3 minutes to build the tool once.
#   scripts/gen-sdks.sh          # into sdk/python and sdk/go, and docs/reference.md
#   scripts/gen-sdks.sh OUT_DIR  # into OUT_DIR/python and OUT_DIR/go only (the tests compare)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/sdk}"
bin="$(bash "$root/scripts/codegen.sh")"
"$bin" -schema "$root/plugin/schema.json" -version "$(node -p 'require(process.argv[1]).version' "$root/package.json")" -out "$out"
[[ $# -gt 0 ]] || bash "$root/scripts/gen-docs.sh"
