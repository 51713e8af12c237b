#!/usr/bin/env bash
# Yields a Pulumi CLI (>= 3.181) with its Node.js, YAML, Go and Python language hosts, and prints
# the directory that holds them (its bin/) on the last line of stdout. Progress goes to stderr.
# Also makes the project's Python environment (.tools/venv) with the generated Python SDK
# installed from a wheel (scripts/python-sdk.sh), which Python programs of the tests run in.
#
# Order of preference: a `pulumi` on PATH that is new enough; this project's cached build; the
# official installer; a build from the Go module proxy (the only way on machines that reach
# nothing but package registries). The cache is keyed by version, so a second run costs nothing.
#
#   scripts/install-pulumi.sh                       # default version
#   PULUMI_VERSION=v3.274.1 scripts/install-pulumi.sh
#   PULUMI_FORCE_BUILD=1 scripts/install-pulumi.sh  # ignore PATH and the installer
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
MIN_MINOR=181
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.tools/pulumi/$PULUMI_VERSION"
log() { echo "install-pulumi: $*" >&2; }

new_enough() { # $1: a pulumi binary
  local v
  v="$("$1" version 2>/dev/null | tr -d 'v')" || return 1
  [[ "${v%%.*}" == 3 ]] && (( $(echo "$v" | cut -d. -f2) >= MIN_MINOR ))
}

# The dynamic-provider plugin ships inside @pulumi/pulumi. The engine looks for it on PATH, then
# beside `pulumi`; put it beside our build so that nothing has to be downloaded.
# This project's own provider plugin (plugin/, built by `npm run build`) goes there too, so that
# YAML programs run with this CLI find it as users find an installed one (the engine notes that
# it is used "from $PATH"); `pulumi plugin install` and `plugins.providers` are tested without it.
finish() { # $1: the bin dir
  local plugin="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  if [[ -f "$plugin" && -w "$1" ]]; then
    chmod +x "$plugin"
    ln -sf "$plugin" "$1/pulumi-resource-pulumi-nodejs"
  fi
  # Only into this project's own cache: a CLI the user installed is not ours to add plugins to.
  if [[ -f "$root/plugin/bin/pulumi-resource-commvault" && "$1" == "$cache/bin" ]]; then
    ln -sf "$root/plugin/bin/pulumi-resource-commvault" "$1/pulumi-resource-commvault"
  fi
  # The Python host's front script is this checkout's: refresh the cached copy when it changed.
  if [[ "$1" == "$cache/bin" && -x "$1/pulumi-language-python-host" ]] \
     && ! cmp -s "$root/scripts/pulumi-language-python.sh" "$1/pulumi-language-python"; then
    install -m 0755 "$root/scripts/pulumi-language-python.sh" "$1/pulumi-language-python"
  fi
  # Python programs (examples/python, the tests) run in .tools/venv with the SDK built from
  # sdk/python. Without python3 the rest still works; those programs then fail with its reason.
  if ! bash "$root/scripts/python-sdk.sh" >/dev/null; then
    log "no Python environment for Python programs (needs python3 with venv; Debian: python3-venv)"
  fi
  echo "$1"
  exit 0
}

if [[ -z "${PULUMI_FORCE_BUILD:-}" ]]; then
  if command -v pulumi >/dev/null && new_enough "$(command -v pulumi)" && command -v pulumi-language-nodejs >/dev/null \
     && command -v pulumi-language-yaml >/dev/null && command -v pulumi-language-go >/dev/null \
     && command -v pulumi-language-python >/dev/null; then
    log "using $(command -v pulumi) ($(pulumi version))"
    finish "$(dirname "$(command -v pulumi)")"
  fi
  hosts=(pulumi-language-nodejs pulumi-language-yaml pulumi-language-go pulumi-language-python pulumi-language-python-host pulumi-language-python-exec)
  missing=()
  for h in "${hosts[@]}"; do [[ -x "$cache/bin/$h" ]] || missing+=("$h"); done
  if [[ -x "$cache/bin/pulumi" ]] && new_enough "$cache/bin/pulumi"; then
    if (( ${#missing[@]} == 0 )); then
      log "using the cached build in $cache/bin"
      finish "$cache/bin"
    fi
    # A cache from before a host was added: build only what it lacks (about a minute per host).
    log "the cached build in $cache/bin lacks ${missing[*]}; building it"
    PULUMI_SKIP_INSTALLER=1
  fi
  if [[ -z "${PULUMI_SKIP_INSTALLER:-}" ]] && command -v curl >/dev/null \
     && curl -fsSL --max-time 10 -o "${TMPDIR:-/tmp}/pulumi-get.sh" https://get.pulumi.com 2>/dev/null; then
    log "trying the official installer"
    if sh "${TMPDIR:-/tmp}/pulumi-get.sh" --version "${PULUMI_VERSION#v}" --install-root "$cache" --no-edit-path >&2 \
       && new_enough "$cache/bin/pulumi"; then
      finish "$cache/bin"
    fi
    log "the official installer failed; building from the Go module proxy"
  fi
fi

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "no pulumi and no Go toolchain: install Go 1.26+ (or Pulumi) and run again"; exit 1; }
"$root/scripts/build-pulumi.sh" "$PULUMI_VERSION" "$cache/bin" >&2
finish "$cache/bin"
