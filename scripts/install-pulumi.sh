#!/usr/bin/env bash
# Yields a Pulumi CLI (>= 3.181) and prints the directory that holds it.
#
# Order of preference: a `pulumi` already on PATH that is new enough; the project's cached
# build; the official installer; a build from the Go module proxy. The build is the only path
# that works on machines that reach nothing but package registries.
#
# Usage: scripts/install-pulumi.sh            -> prints the bin dir on the last line of stdout
#        PULUMI_VERSION=v3.274.1 scripts/install-pulumi.sh
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
MIN_MINOR=181
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.tools/pulumi/$PULUMI_VERSION"
log() { echo "install-pulumi: $*" >&2; }

new_enough() { # $1 = path to a pulumi binary
  local v minor
  v="$("$1" version 2>/dev/null | tr -d 'v')" || return 1
  minor="$(echo "$v" | cut -d. -f2)"
  [[ "$(echo "$v" | cut -d. -f1)" == 3 && "$minor" =~ ^[0-9]+$ && "$minor" -ge $MIN_MINOR ]]
}

# The dynamic-provider plugin ships inside @pulumi/pulumi; put it beside the CLI so the
# engine finds it without a download (it looks on PATH, then next to `pulumi`).
link_nodejs_plugin() {
  local dir="$1" plugin="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [[ -f "$plugin" && ! -e "$dir/pulumi-resource-pulumi-nodejs" ]]; then
    chmod +x "$plugin" 2>/dev/null || true
    ln -sf "$plugin" "$dir/pulumi-resource-pulumi-nodejs" 2>/dev/null || true
  fi
}

done_with() { link_nodejs_plugin "$1"; echo "$1"; exit 0; }

if [[ -z "${PULUMI_FORCE_BUILD:-}" ]]; then
  if command -v pulumi >/dev/null && new_enough "$(command -v pulumi)" \
     && command -v pulumi-language-nodejs >/dev/null; then
    log "using $(command -v pulumi) ($(pulumi version))"
    done_with "$(dirname "$(command -v pulumi)")"
  fi
  if [[ -x "$cache/pulumi" && -x "$cache/pulumi-language-nodejs" ]] && new_enough "$cache/pulumi"; then
    log "using cached build $cache"
    done_with "$cache"
  fi
  if [[ -z "${PULUMI_SKIP_INSTALLER:-}" ]] && command -v curl >/dev/null \
     && curl -fsSL --max-time 10 -o /tmp/pulumi-get.sh https://get.pulumi.com 2>/dev/null; then
    log "trying the official installer"
    if sh /tmp/pulumi-get.sh --version "${PULUMI_VERSION#v}" --install-root "$cache.official" >&2 \
       && new_enough "$cache.official/bin/pulumi"; then
      done_with "$cache.official/bin"
    fi
    log "official installer failed; building from the Go module proxy"
  fi
fi

command -v go >/dev/null || { log "no Go toolchain: install Go 1.26+ or put pulumi on PATH"; exit 1; }
exec "$root/scripts/build-pulumi.sh" "$PULUMI_VERSION" "$cache"
