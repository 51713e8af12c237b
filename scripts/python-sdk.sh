#!/usr/bin/env bash
# Installs the generated Python SDK (sdk/python, package pulumi_commvault_tokens) into the project's
# virtual environment (.tools/venv, made by scripts/python-env.sh) as a user installs it: a wheel
# built from sdk/python, then `pip install` of that wheel. Prints the environment's folder on the
# last line of stdout. Keyed by the SDK's files, so a second run costs nothing; a regenerated SDK
# is built and installed again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { echo "python-sdk: $*" >&2; }
venv="$(bash "$root/scripts/python-env.sh" | tail -n 1)"
# Test files that run at once (jest's workers) may all ask at once: one installs, the others wait.
# (Its own lock: python-env.sh above holds .tools/venv.lock only while it runs.)
exec 8>"$root/.tools/python-sdk.lock"
flock 8
stamp="$venv/.sdk.sha256"
want="$(cd "$root/sdk/python" && find . -type f ! -path '*/__pycache__/*' ! -path './build/*' ! -path '*.egg-info/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then echo "$venv"; exit 0; fi
start=$(date +%s)
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
# From a copy: setuptools leaves build/ and *.egg-info in the folder it builds, and the tests
# compare sdk/python with what the schema generates.
cp -r "$root/sdk/python" "$wheels/src"
rm -rf "$wheels/src/build" "$wheels"/src/*.egg-info
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }
# setuptools' build output (deprecation notes of the generated pyproject.toml) only on failure.
pip wheel --no-deps -w "$wheels" "$wheels/src" > "$wheels/build.log" 2>&1 || { cat "$wheels/build.log" >&2; exit 1; }
# The version does not change with the code, so the wheel replaces what is there; its
# requirements (pulumi, pinned by python-requirements.txt) resolve from PyPI when missing.
pip install --quiet --force-reinstall --no-deps "$wheels"/*.whl >&2
pip install --quiet "$wheels"/*.whl >&2
echo "$want" > "$stamp"
log "$(cd "$wheels" && ls *.whl) installed into $venv in $(( $(date +%s) - start ))s"
echo "$venv"
