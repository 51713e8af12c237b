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
  # Only the key runtime.options.virtualenv, block or flow style, quoted or not; comments and
  # other keys named virtualenv do not count. A small reader of the YAML Pulumi.yaml uses, in awk
  # because the host must start without Python.
  venv="$(awk '
    function unquote(s) {
      sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s)
      if (s ~ /^".*"$/ || s ~ /^\047.*\047$/) s = substr(s, 2, length(s) - 2)
      return s
    }
    function inflow(m, key,   k) {  # the value of key in the flow mapping m ({a: b, c: {d: e}})
      k = "[{,][ \t]*" key ":[ \t]*"
      if (!match(m, k "(\"[^\"]*\"|\047[^\047]*\047|\{[^}]*\}|[^,} \t]+)")) return ""
      m = substr(m, RSTART, RLENGTH); sub("^" k, "", m)
      return unquote(m)
    }
    {
      line = $0
      sub(/^#.*$/, "", line); sub(/[ \t]#.*$/, "", line)
      if (line ~ /^[ \t]*$/) next
      match(line, /^[ \t]*/); ind = RLENGTH; rest = substr(line, ind + 1)
      while (n > 0 && indent[n] >= ind) n--
      if (!match(rest, /^[A-Za-z0-9_.-]+:/)) next
      key = substr(rest, 1, RLENGTH - 1); value = unquote(substr(rest, RLENGTH + 1))
      n++; keys[n] = key; indent[n] = ind
      path = keys[1]; for (i = 2; i <= n; i++) path = path "." keys[i]
      if (path == "runtime" && value ~ /^\{/) value = inflow(value, "options")
      if ((path == "runtime" || path == "runtime.options") && value ~ /^\{/) { print inflow(value, "virtualenv"); exit }
      if (path == "runtime.options.virtualenv") { print value; exit }
    }' "$project")"
fi
if [[ -n "$venv" ]]; then
  exec "$here/pulumi-language-python-host" -root="$dir" -virtualenv="$venv" "$@"
fi
exec "$here/pulumi-language-python-host" "$@"
