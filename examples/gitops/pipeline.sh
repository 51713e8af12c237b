#!/usr/bin/env bash
# The token pipeline's three stages: the plain `pulumi` commands of github-actions.yml, for any CI
# system or a terminal. Run it in this folder's copy (it runs the program beside it).
#
#   ./pipeline.sh pr        # a pull request: preview with the diff and the policy pack
#   ./pipeline.sh merge     # a merge to main: pulumi up (waits while another run holds the stack)
#   ./pipeline.sh nightly   # the drift gate: exit 0 no drift, 7 drift, anything else: it did not run
#
# Environment (nothing secret is ever printed):
#   PULUMI_CONFIG_PASSPHRASE   required (or PULUMI_CONFIG_PASSPHRASE_FILE): the stack's secrets passphrase
#   COMMVAULT_URL, COMMVAULT_USERNAME, COMMVAULT_PASSWORD
#                              the CommServe and an administrator; stack config wins where it sets them
#   PULUMI_BACKEND_URL         the shared state, e.g. postgres://pulumi@db.example.com:5432/pulumi?sslmode=verify-full
#                              with the password in PGPASSWORD. Unset: a PostgreSQL server of this
#                              machine's own in PULUMI_POSTGRES_DIR (default .pulumi-postgres here),
#                              started for the run and stopped after it (one run at a time)
#   PULUMI_STACK               default dev
#   POLICY_PACK                default ../../policy/pack (this repository's pack)
#   POLICY_CONFIG              default policy-config.json here
#   LOCK_WAIT_SECONDS          merge: how long to wait for another run's lock; default 600, 0 stops at once
#
# Exit codes: pr and merge exit 0 when they pass and 1 when they fail (a policy violation, an
# input the provider refuses, such as a forbidden scope change, a stack locked for longer than
# LOCK_WAIT_SECONDS, an API error). nightly exits 0 (no drift), 7 (drift: a token changed or
# deleted by hand, dead, or due to extend, rotate or retire) or another code (the gate did not run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stage="${1:-}"
say() { echo "pipeline: $*"; }
die() { echo "pipeline: $*" >&2; exit 2; }

[[ "$stage" =~ ^(pr|merge|nightly)$ ]] || die "usage: $0 pr|merge|nightly"
command -v pulumi >/dev/null || die "no pulumi on PATH (in this repository, bash scripts/install-pulumi.sh prints the folder that holds it)"
[[ -n "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]] || die "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) from your secret store"
cd "$here"
[[ -d node_modules ]] || die "the program's dependencies are missing: run npm ci in $here"

export PULUMI_STACK="${PULUMI_STACK:-dev}"
export POLICY_PACK="${POLICY_PACK:-$here/../../policy/pack}"
export POLICY_CONFIG="${POLICY_CONFIG:-$here/policy-config.json}"
export PULUMI_SKIP_UPDATE_CHECK=true
LOCK_WAIT_SECONDS="${LOCK_WAIT_SECONDS:-600}"
if [[ "$stage" != nightly ]]; then
  [[ -e "$POLICY_PACK" ]] || die "no policy pack at $POLICY_PACK: set POLICY_PACK (in this repository, npm run policy:install installs policy/)"
  [[ -f "$POLICY_CONFIG" ]] || die "no policy configuration at $POLICY_CONFIG: set POLICY_CONFIG"
fi

# The state: the shared backend given, or a PostgreSQL server of this machine's own.
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  starter="${POSTGRES_SCRIPT:-$here/../../scripts/postgres.sh}"
  [[ -f "$starter" ]] || die "PULUMI_BACKEND_URL is not set, and there is no $starter to start a local PostgreSQL server with"
  pgdir="${PULUMI_POSTGRES_DIR:-$here/.pulumi-postgres}"
  if ! url="$(bash "$starter" url "$pgdir" 2>/dev/null)"; then
    url="$(bash "$starter" start "$pgdir" | tail -n 1)"
    trap 'bash "$starter" stop "$pgdir"' EXIT
  fi
  export PULUMI_BACKEND_URL="$url"
  PGPASSWORD="$(cat "$pgdir/password")"
  export PGPASSWORD
fi
# Where the state is, without any user or password the URL may hold.
say "stage $stage, stack $PULUMI_STACK, state in $(sed -E 's#^([a-z0-9]+://)[^@/]*@#\1#; s#\?.*##' <<< "$PULUMI_BACKEND_URL")"

# Runs a command that takes the stack's lock. While another run holds the lock, waits and tries
# again, up to LOCK_WAIT_SECONDS: the lock is taken before anything else, so nothing has happened.
locked() {
  local waited=0 log code pause
  log="$(mktemp)"
  while :; do
    set +e
    "$@" 2>&1 | tee "$log"
    code=${PIPESTATUS[0]}
    set -e
    if (( code != 0 )) && grep -q "the stack is currently locked" "$log" && (( waited < LOCK_WAIT_SECONDS )); then
      pause=$(( 5 + RANDOM % 6 ))
      say "stack $PULUMI_STACK is locked by another run; trying again in ${pause}s (waited ${waited}s of ${LOCK_WAIT_SECONDS}s)"
      sleep "$pause"
      waited=$(( waited + pause ))
      continue
    fi
    rm -f "$log"
    if (( code != 0 )) && (( LOCK_WAIT_SECONDS > 0 )) && (( waited >= LOCK_WAIT_SECONDS )); then
      say "stack $PULUMI_STACK stayed locked for ${LOCK_WAIT_SECONDS}s; if no run holds it any more, \`pulumi cancel\` removes a stale lock"
    fi
    return "$code"
  done
}

pulumi stack select --create "$PULUMI_STACK" --non-interactive

case "$stage" in
  pr)
    pulumi preview --diff --policy-pack "$POLICY_PACK" --policy-pack-config "$POLICY_CONFIG" --non-interactive
    ;;
  merge)
    locked pulumi up --yes --refresh --diff --policy-pack "$POLICY_PACK" --policy-pack-config "$POLICY_CONFIG" --non-interactive
    ;;
  nightly)
    set +e
    pulumi preview --refresh --expect-no-changes --diff --non-interactive
    code=$?
    set -e
    case "$code" in
      0) say "no drift: every token is as the program says, and none is due to extend, rotate or retire" ;;
      7) say "DRIFT (exit 7): the preview above shows what changed and what pulumi up would do; run the merge stage to apply it, or change the program to match" ;;
      *) say "the drift gate did not run (exit $code): see the error above; this says nothing about drift" ;;
    esac
    exit "$code"
    ;;
esac
