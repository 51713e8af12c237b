#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy into $2 (a bin dir). Also tries
# pulumi-language-nodejs, which the proxy serves only for some releases; tests and the demo run
# through the Automation API and do not need it. Called by install-pulumi.sh.
set -euo pipefail
version="$1"; out="$2"
log() { echo "build-pulumi: $*" >&2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
start=$(date +%s)
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"

# A throwaway module. pkg/v3's go.mod replaces sdk/v3 with ../sdk, which only resolves inside the
# pulumi repository; its third-party replaces, though, must be repeated or the build breaks.
cd "$work"
go mod init pulumi-cli-build >/dev/null 2>&1
modfile="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
[[ -f "$modfile" ]] || { log "the module proxy does not serve github.com/pulumi/pulumi/pkg/v3@$version"; exit 1; }
go mod edit -json "$modfile" | node -e '
  const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of m.Replace || []) {
    if (/^[.\/]/.test(r.New.Path)) continue; // the repository-local ../sdk
    const at = (p) => p.Path + (p.Version ? "@" + p.Version : "");
    console.log(`-replace=${at(r.Old)}=${at(r.New)}`);
  }' > replaces.txt
if [[ -s replaces.txt ]]; then xargs go mod edit < replaces.txt; fi
go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$version" -require="github.com/pulumi/pulumi/sdk/v3@$version"
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > tools.go
log "resolving modules for pulumi $version"
go mod tidy
log "compiling pulumi $version (about 8 minutes on 2 cores)"
go build -trimpath -ldflags "$ldflags" -o "$out/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$out/pulumi.tmp" "$out/pulumi"
log "pulumi $version built in $(( $(date +%s) - start ))s"

# The language host lives in its own module, which pulumi does not tag; a proxy may still serve
# the release's version. Optional: without it, `pulumi up` needs a CLI installed the usual way.
lang="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
langver="${PULUMI_LANGUAGE_NODEJS_VERSION:-$version}"
if go mod download "$lang@$langver" 2>/dev/null; then
  go mod edit -require="$lang@$langver" \
    -replace="github.com/pulumi/pulumi/pkg/v3=github.com/pulumi/pulumi/pkg/v3@$version" \
    -replace="github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@$version"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$lang" > tools_lang.go
  go mod tidy && go build -trimpath -ldflags "$ldflags" -o "$out/pulumi-language-nodejs" "$lang" \
    && log "pulumi-language-nodejs built" || log "pulumi-language-nodejs did not build; see above"
else
  log "the module proxy does not serve $lang@$langver: pulumi-language-nodejs not built" \
      "(set PULUMI_LANGUAGE_NODEJS_VERSION to a version it serves). Tests and the demo do not need it."
fi
