#!/usr/bin/env bash
# Writes the reference page (every input and output of AccessToken and listAccessTokens, with
# description, type, default and scopes) from plugin/schema.json, with tools/codegen/reference.
#   scripts/gen-docs.sh            # into docs/reference.md
#   scripts/gen-docs.sh OUT_FILE   # elsewhere (the tests compare)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(bash "$root/scripts/codegen.sh" reference)"
"$bin" -schema "$root/plugin/schema.json" -out "${1:-$root/docs/reference.md}"
