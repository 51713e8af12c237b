#!/usr/bin/env bash
# Builds the Pulumi CLI (and, when the proxy serves it, pulumi-language-nodejs) from the Go
# module proxy into $2, then prints $2. Called by install-pulumi.sh; safe to run alone.
set -euo pipefail
version="$1"; out="$2"
log() { echo "build-pulumi: $*" >&2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0
start=$(date +%s)

# The throwaway module. pkg/v3's own go.mod replaces sdk/v3 with ../sdk, which only works inside
# the pulumi repository; its third-party replaces must be repeated here or the build breaks.
cd "$work"
go mod init pulumi-cli-build >/dev/null 2>&1
modfile="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "$modfile" ]] || { log "cannot download pkg/v3@$version from the module proxy"; exit 1; }
go mod edit -json "$modfile" \
  | node -e 'const m=JSON.parse(require("fs").readFileSync(0,"utf8"));
      for (const r of m.Replace||[]) { if (/^[.\/]/.test(r.New.Path)) continue;
        const o=r.Old.Path+(r.Old.Version?"@"+r.Old.Version:""), n=r.New.Path+(r.New.Version?"@"+r.New.Version:"");
        console.log(`-replace=${o}=${n}`); }' > replaces.txt
[[ -s replaces.txt ]] && go mod edit $(cat replaces.txt)
go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$version" -require="github.com/pulumi/pulumi/sdk/v3@$version"
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
log "resolving modules for pulumi $version"
go mod tidy >&2
log "compiling pulumi $version (several minutes on 2 cores)"
go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$out/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$out/pulumi.tmp" "$out/pulumi"
log "pulumi built in $(( $(date +%s) - start ))s"
echo "$out"
