#!/usr/bin/env bash
# Builds tools/codegen (Pulumi's code generators from github.com/pulumi/pulumi/pkg/v3, no language
# host needed) into .tools/codegen/codegen and prints its path. Go rebuilds only what changed, so
# after the first build (about 2 to 3 minutes) this costs seconds; the tests call it too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The flags of scripts/build-pulumi.sh, so that Go reuses what the CLI build compiled.
export PATH="$PATH:/usr/local/go/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
bin="$root/.tools/codegen/codegen"
start=$(date +%s)
(cd "$root/tools/codegen" && go build -trimpath -o "$bin" .)
echo "codegen: tools/codegen ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
