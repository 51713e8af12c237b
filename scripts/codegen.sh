#!/usr/bin/env bash
# Builds one command of tools/codegen (Pulumi's code generators from github.com/pulumi/pulumi/pkg/v3,
# no language host needed) into .tools/codegen/ and prints its path:
#   scripts/codegen.sh            # codegen: sdk/python and sdk/go
#   scripts/codegen.sh reference  # reference: docs/reference.md
# Go rebuilds only what changed, so after the first build (about 2 to 3 minutes) this costs
# seconds; the tests call it too.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The flags of scripts/build-pulumi.sh, so that Go reuses what the CLI build compiled.
export PATH="$PATH:/usr/local/go/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
name="${1:-codegen}"
pkg="."
[[ "$name" == codegen ]] || pkg="./$name"
bin="$root/.tools/codegen/$name"
start=$(date +%s)
(cd "$root/tools/codegen" && go build -trimpath -o "$bin" "$pkg")
echo "codegen: tools/codegen $name ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
