#!/usr/bin/env bash
# Makes (once) the project's Python virtual environment in .tools/venv from PyPI, with the pinned
# packages of scripts/python-requirements.txt, and prints its folder on the last line of stdout.
# Progress goes to stderr. A changed requirements file re-installs; otherwise a second run costs nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/venv"
req="$root/scripts/python-requirements.txt"
log() { echo "python-env: $*" >&2; }
py="${PYTHON:-python3}"
command -v "$py" >/dev/null || { log "no python3: install Python 3.9+ (Debian: python3 python3-venv)"; exit 1; }
# Test files that run at once (jest's workers) may all ask for the environment on a cold machine:
# one makes it, the others wait for it.
mkdir -p "$root/.tools"
exec 9>"$root/.tools/venv.lock"
flock 9
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$venv"; exit 0
fi
log "making $venv from PyPI ($(tr '\n' ' ' < <(grep -v '^#' "$req")))"
rm -rf "$venv"
"$py" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" > "$stamp"
echo "$venv"
