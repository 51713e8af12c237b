#!/usr/bin/env bash
# Installed by scripts/build-pulumi.sh as `pulumi-language-python` beside the CLI, in front of the
# Python host it built (pulumi-language-python-host, from sdk/v3 v3.68.0). That host reads the
# project's `runtime.options.virtualenv` only from its command line, which today's CLI no longer
# fills in (it sends the options over gRPC, which v3.68 does not read). This passes the option on,
# read from the Pulumi.yaml of the folder the CLI starts the host in, or of the nearest above it,
# so that a program with `runtime: {name: python, options: {virtualenv: venv}}` runs in its
# environment as under an official Pulumi install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$PWD" project=""
while :; do
  for f in Pulumi.yaml Pulumi.yml; do [[ -f "$dir/$f" ]] && project="$dir/$f" && break 2; done
  [[ "$dir" == / ]] && break
  dir="$(dirname "$dir")"
done
venv=""
if [[ -n "$project" ]]; then
  # Block (`virtualenv: venv`) or flow (`options: {virtualenv: venv}`) style, quoted or not.
  line="$(grep -oE "virtualenv:[[:space:]]*(\"[^\"]*\"|'[^']*'|[^\"',}#[:space:]]+)" "$project" | head -n 1)" || true
  venv="$(sed -E "s/^virtualenv:[[:space:]]*//; s/^[\"'](.*)[\"']$/\1/" <<< "$line")"
fi
if [[ -n "$venv" ]]; then
  exec "$here/pulumi-language-python-host" -root="$dir" -virtualenv="$venv" "$@"
fi
exec "$here/pulumi-language-python-host" "$@"
