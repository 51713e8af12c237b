#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js, YAML, Go and Python language hosts from the Go module
# proxy into $2 (a bin dir), each only when missing. Called by install-pulumi.sh; safe to run alone:
#   scripts/build-pulumi.sh v3.274.1 .tools/pulumi/v3.274.1/bin
set -euo pipefail
version="$1"; out="$2"
log() { echo "build-pulumi: $*" >&2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"  # go install wants an absolute GOBIN
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
ldflags() { echo "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$1"; }
tools_go() { printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$1"; }

# A throwaway module that requires pkg/v3 and sdk/v3 at one release. pkg/v3's go.mod replaces
# sdk/v3 with ../sdk, which only resolves inside the pulumi repository; its third-party replaces,
# though, must be repeated here or the build breaks.
cli_module() { # $1: the module's folder
  cd "$1" || return 1
  go mod init pulumi-cli-build >/dev/null 2>&1 || return 1
  local modfile
  modfile="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$modfile" ]] || { log "the module proxy does not serve github.com/pulumi/pulumi/pkg/v3@$version"; return 1; }
  go mod edit -json "$modfile" | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const at = (p) => p.Path + (p.Version ? "@" + p.Version : "");
    for (const r of m.Replace || []) if (!/^[.\/]/.test(r.New.Path)) console.log(`-replace=${at(r.Old)}=${at(r.New)}`);
  ' | xargs -r go mod edit || return 1
  go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$version" -require="github.com/pulumi/pulumi/sdk/v3@$version"
}

build_cli() {
  local dir start; dir="$(mktemp -d)"; start=$(date +%s)
  # Chained with &&: set -e does not act inside a subshell whose status is tested.
  (
    cli_module "$dir" &&
      tools_go github.com/pulumi/pulumi/pkg/v3/cmd/pulumi > tools.go &&
      log "resolving modules for pulumi $version" &&
      go mod tidy &&
      log "compiling pulumi $version (about 8 minutes on 2 cores, once)" &&
      go build -trimpath -ldflags "$(ldflags "$version")" -o "$out/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
      mv "$out/pulumi.tmp" "$out/pulumi"
  ) || { rm -rf "$dir"; return 1; }
  rm -rf "$dir"
  log "pulumi $version built in $(( $(date +%s) - start ))s"
}

# The language host lets plain `pulumi up` run a Node.js program (the Automation API does not
# need it). Since v3.69 it is a module of its own, which pulumi does not tag and a proxy may not
# serve; its go.mod points pkg/v3 at a local path, so the CLI's module pins both to the release.
# Until v3.68.0 it was a package of sdk/v3, which proxies do serve: that is the fall-back. The
# language protocol is stable enough that the v3.68.0 host runs up, preview, refresh and destroy
# under the v3.274 CLI; the end-to-end tests run every example and the root program through it.
build_language_host() {
  local lang="github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
  local langver="${PULUMI_LANGUAGE_NODEJS_VERSION:-$version}"
  local fallback="${PULUMI_LANGUAGE_HOST_FALLBACK:-v3.68.0}"
  local dir start; dir="$(mktemp -d)"; start=$(date +%s)
  if go mod download "$lang@$langver" >/dev/null 2>&1 && (
    cli_module "$dir" &&
      go mod edit -require="$lang@$langver" \
        -replace="github.com/pulumi/pulumi/pkg/v3=github.com/pulumi/pulumi/pkg/v3@$version" \
        -replace="github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@$version" &&
      tools_go "$lang" > tools.go &&
      go mod tidy && go build -trimpath -ldflags "$(ldflags "$langver")" -o "$out/pulumi-language-nodejs" "$lang"
  ); then
    log "pulumi-language-nodejs $langver built in $(( $(date +%s) - start ))s"
  elif rm -rf "$dir" && mkdir -p "$dir" && (
    cd "$dir" &&
      { go mod init language-host-build >/dev/null 2>&1; } &&
      go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$fallback" &&
      tools_go github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs > tools.go &&
      go mod tidy && go build -trimpath -ldflags "$(ldflags "$fallback")" -o "$out/pulumi-language-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  ); then
    log "pulumi-language-nodejs $fallback built in $(( $(date +%s) - start ))s (the proxy does not serve $lang@$langver)"
  else
    rm -rf "$dir"
    log "pulumi-language-nodejs could not be built; plain \`pulumi up\` of Node.js programs needs an official Pulumi install"
    return 1
  fi
  rm -rf "$dir"
}

# The YAML language host runs YAML programs (examples/yaml) with the provider plugin. It is a module
# of its own with tagged releases that the proxy serves, so `go install` builds it alone; beside
# `pulumi` it is found as a bundled host, with no "from $PATH" warning.
build_yaml_host() {
  local v="${PULUMI_LANGUAGE_YAML_VERSION:-v1.25.0}" start; start=$(date +%s)
  log "compiling pulumi-language-yaml $v (about 3 minutes on 2 cores, once)"
  GOBIN="$out" go install -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$v" \
    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$v" || { log "pulumi-language-yaml $v could not be built"; return 1; }
  log "pulumi-language-yaml $v built in $(( $(date +%s) - start ))s"
}

# The Go and Python hosts are not modules the proxy serves (403 for every version of
# sdk/go/pulumi-language-go/v3 and sdk/python/cmd/pulumi-language-python/v3). Older releases kept
# them as packages of sdk/v3, which the proxy does serve: the Go host until v3.66.0, the Python host
# until v3.68.0. Built in a throwaway module like the Node.js fall-back; beside `pulumi` they are
# found even with PULUMI_IGNORE_AMBIENT_PLUGINS=true (on PATH only, that setting hides them).
# They lack GenerateProgram, so `pulumi import` in Go and Python programs takes
# --generate-code=false and the code comes from tools/codegen (docs/languages.md).
build_sdk_host() { # $1: sdk/v3 release, $2: package path inside sdk/v3, $3: binary name
  local dir start; dir="$(mktemp -d)"; start=$(date +%s)
  log "compiling $3 from github.com/pulumi/pulumi/sdk/v3@$1 (about 1 minute on 2 cores, once)"
  if (
    cd "$dir" &&
      { go mod init language-host-build >/dev/null 2>&1; } &&
      go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$1" &&
      tools_go "github.com/pulumi/pulumi/sdk/v3/$2" > tools.go &&
      GOFLAGS="$GOFLAGS -mod=mod" go mod tidy &&
      GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "$(ldflags "$1")" -o "$out/$3.tmp" "github.com/pulumi/pulumi/sdk/v3/$2" &&
      mv "$out/$3.tmp" "$out/$3"
  ); then
    log "$3 $1 built in $(( $(date +%s) - start ))s"
  else
    rm -rf "$dir"; log "$3 could not be built from sdk/v3@$1"; return 1
  fi
  rm -rf "$dir"
}

build_go_host() { build_sdk_host "${PULUMI_LANGUAGE_GO_VERSION:-v3.66.0}" go/pulumi-language-go pulumi-language-go; }

# The Python host runs `pulumi-language-python-exec` (a script beside it in the same release) to
# start the program; it takes the `pulumi` package from the program's virtual environment. The
# binary is pulumi-language-python-host; pulumi-language-python in front of it hands it the
# project's virtualenv option, which today's CLI no longer passes in a way v3.68 reads.
build_python_host() {
  local v="${PULUMI_LANGUAGE_PYTHON_VERSION:-v3.68.0}" src
  build_sdk_host "$v" python/cmd/pulumi-language-python pulumi-language-python-host || return 1
  src="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@$v" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  [[ -f "$src/python/cmd/pulumi-language-python-exec" ]] || { log "no pulumi-language-python-exec in sdk/v3@$v"; return 1; }
  install -m 0755 "$src/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
  install -m 0755 "$here/pulumi-language-python.sh" "$out/pulumi-language-python"
}

if [[ -x "$out/pulumi" ]]; then log "pulumi $version already built"; else build_cli; fi
if [[ -x "$out/pulumi-language-nodejs" ]]; then log "pulumi-language-nodejs already built"; else build_language_host; fi
if [[ -x "$out/pulumi-language-yaml" ]]; then log "pulumi-language-yaml already built"; else build_yaml_host; fi
if [[ -x "$out/pulumi-language-go" ]]; then log "pulumi-language-go already built"; else build_go_host; fi
if [[ -x "$out/pulumi-language-python-host" && -x "$out/pulumi-language-python" && -x "$out/pulumi-language-python-exec" ]]; then log "pulumi-language-python already built"; else build_python_host; fi
