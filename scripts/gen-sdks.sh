#!/usr/bin/env bash
# Regenerates the Python and Go SDKs of the provider plugin from plugin/schema.json, with the
# project's tools/codegen (Pulumi's code generators from github.com/pulumi/pulumi/pkg/v3; the
# Python and Go language hosts are not needed). About 2 to 3 minutes to build the tool once.
#   scripts/gen-sdks.sh          # into sdk/python and sdk/go
#   scripts/gen-sdks.sh OUT_DIR  # into OUT_DIR/python and OUT_DIR/go (the tests compare)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/sdk}"
# The flags of scripts/build-pulumi.sh, so that Go reuses what the CLI build compiled.
export PATH="$PATH:/usr/local/go/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
bin="$root/.tools/codegen/codegen"
start=$(date +%s)
(cd "$root/tools/codegen" && go build -trimpath -o "$bin" .)
echo "gen-sdks: tools/codegen ready in $(( $(date +%s) - start ))s" >&2
"$bin" -schema "$root/plugin/schema.json" -version "$(node -p 'require(process.argv[1]).version' "$root/package.json")" -out "$out"
