#!/usr/bin/env bash
# Prints Python or Go code for tokens that `pulumi import --generate-code=false` took over, for
# the program of the current folder's stack (Pulumi's own program generators, via tools/codegen;
# the Go and Python language hosts built here cannot print it). Run in the program's folder:
#   pulumi import commvault:index:AccessToken legacy 21:104 --generate-code=false --yes
#   bash <checkout>/scripts/import-code.sh python legacy >> __main__.py
#   bash <checkout>/scripts/import-code.sh go legacy > imported.go   # then call imported(ctx)
# Extra `pulumi stack export` flags go in PULUMI_EXPORT_ARGS (e.g. "--stack dev").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 2 && ( "$1" == python || "$1" == go ) ]] || { echo "usage: import-code.sh python|go <resource name>..." >&2; exit 2; }
language="$1"; shift
export PATH="$PATH:/usr/local/go/bin" GOFLAGS="${GOFLAGS:--buildvcs=false}" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0
bin="$root/.tools/codegen/codegen"
(cd "$root/tools/codegen" && go build -trimpath -o "$bin" .)
# shellcheck disable=SC2086 # PULUMI_EXPORT_ARGS is a list of flags
pulumi stack export ${PULUMI_EXPORT_ARGS:-} | "$bin" import-code -schema "$root/plugin/schema.json" -language "$language" "$@"
