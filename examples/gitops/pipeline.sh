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
#   STALE_LOCK_SECONDS         unset by default: a lock older than this is taken as left by a killed run and
#                              removed; set it well above the longest a run can last (the job's time limit)
#
# A cancel (SIGTERM, SIGINT or SIGHUP, as CI runners send before they kill) becomes Pulumi's gentle
# stop: one SIGINT to pulumi, which starts no new operation and waits for those under way, so that
# every create on the wire is recorded in the state. A second SIGINT makes pulumi stop at once.
# What a run cut short anyway (a SIGKILL) leaves, the next run heals where it safely can: a lock
# that a pulumi process of this machine took and that process is gone (`pulumi cancel --yes`), and
# the empty `<stack>.json.attrs` of the file backend (removed). See docs/runs-cut-short.md.
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
# How many settle rounds a merge may take (each one an up that settles the leftovers the last named).
SETTLE_ROUNDS=5
if [[ "$stage" != nightly ]]; then
  [[ -e "$POLICY_PACK" ]] || die "no policy pack at $POLICY_PACK: set POLICY_PACK (in this repository, npm run policy:install installs policy/)"
  [[ -f "$POLICY_CONFIG" ]] || die "no policy configuration at $POLICY_CONFIG: set POLICY_CONFIG"
fi

STALE_LOCK_SECONDS="${STALE_LOCK_SECONDS:-}"
[[ -z "$STALE_LOCK_SECONDS" || "$STALE_LOCK_SECONDS" =~ ^[0-9]+$ ]] || die "STALE_LOCK_SECONDS must be a number of seconds, or unset"

work="$(mktemp -d)"
stop_postgres=""
cleanup() {
  rm -rf "$work"
  if [[ -n "$stop_postgres" ]]; then bash "$starter" stop "$pgdir"; fi
}
trap cleanup EXIT

# A runner's cancel becomes Pulumi's gentle stop. pulumi runs in a process group of its own, so a
# signal that the runner (or a Ctrl-C) sends to the whole job reaches this script only, and the
# script passes exactly one SIGINT on: a second signal to pulumi would make it terminate at once,
# leaving the creates on the wire unrecorded. GitHub Actions sends SIGINT, then SIGTERM 7.5 s
# later: the SIGTERM changes nothing. A second SIGINT (a second Ctrl-C) is passed on.
pulumi_pid=""
stopping=""
signalled=""
stop_gently() { # $1: the signal's name
  local alive=""
  if [[ -n "$pulumi_pid" ]] && kill -0 "$pulumi_pid" 2>/dev/null; then alive=1; fi
  if [[ -z "$stopping" ]]; then
    stopping="$1"
    if [[ -n "$alive" ]]; then
      say "SIG$1 received: asking pulumi to stop gently (it starts no new operation and waits for those under way, so that each is recorded in the state)"
      signalled=1
      kill -INT "$pulumi_pid" 2>/dev/null || true
    else
      say "SIG$1 received: stopping"
    fi
  elif [[ "$1" == INT && -n "$alive" ]]; then
    say "a second SIGINT: pulumi stops at once (creates under way may be left as pending operations; the next run says how to clear them)"
    kill -INT "$pulumi_pid" 2>/dev/null || true
  else
    say "SIG$1 received: still waiting for pulumi's gentle stop"
  fi
}
trap 'stop_gently TERM' TERM
trap 'stop_gently INT' INT
trap 'stop_gently HUP' HUP
# The exit status of a run stopped by a signal, as a shell reports one (128 + the signal's number).
stopped() {
  say "stopped on SIG$stopping; the next run takes up where this one stopped"
  case "$stopping" in INT) exit 130 ;; HUP) exit 129 ;; *) exit 143 ;; esac
}

# Runs "$@" (a pulumi command) in a process group of its own, its output shown and kept in
# $work/out; returns its exit code. The output goes through a tee in a group of its own too, so
# that no signal for the job kills the reader and pulumi with it (SIGPIPE).
gently() {
  [[ -z "$stopping" ]] || stopped
  rm -f "$work/fifo" "$work/out"
  mkfifo "$work/fifo"
  set -m
  tee -i "$work/out" < "$work/fifo" &
  local tee_pid=$! code=0
  "$@" > "$work/fifo" 2>&1 &
  pulumi_pid=$!
  set +m
  # A signal that came between the start and the line above found no pid to pass on.
  if [[ -n "$stopping" && -z "$signalled" ]]; then signalled=1; kill -INT "$pulumi_pid" 2>/dev/null || true; fi
  # A trapped signal interrupts wait; wait again until pulumi has exited.
  while kill -0 "$pulumi_pid" 2>/dev/null; do wait "$pulumi_pid" || true; done
  wait "$pulumi_pid" || code=$?
  pulumi_pid=""
  wait "$tee_pid" || true
  [[ -z "$stopping" ]] || stopped
  return "$code"
}

# The state: the shared backend given, or a PostgreSQL server of this machine's own.
if [[ -z "${PULUMI_BACKEND_URL:-}" ]]; then
  starter="${POSTGRES_SCRIPT:-$here/../../scripts/postgres.sh}"
  [[ -f "$starter" ]] || die "PULUMI_BACKEND_URL is not set, and there is no $starter to start a local PostgreSQL server with"
  pgdir="${PULUMI_POSTGRES_DIR:-$here/.pulumi-postgres}"
  if ! url="$(bash "$starter" url "$pgdir" 2>/dev/null)"; then
    url="$(bash "$starter" start "$pgdir" | tail -n 1)"
    stop_postgres=1
  fi
  export PULUMI_BACKEND_URL="$url"
  PGPASSWORD="$(cat "$pgdir/password")"
  export PGPASSWORD
fi
# Where the state is, without any user or password the URL may hold.
say "stage $stage, stack $PULUMI_STACK, state in $(sed -E 's#^([a-z0-9]+://)[^@/]*@#\1#; s#\?.*##' <<< "$PULUMI_BACKEND_URL")"

# The file backend writes a stack's state, then `<stack>.json.attrs` (its blob library's metadata)
# beside it; a run killed in between can leave that file empty, and then every command, `pulumi
# cancel` too, fails with "failed to load checkpoint: EOF". An empty one holds nothing, and the
# state loads without it: remove it. (PostgreSQL writes the state in one transaction.)
repair_attrs() {
  [[ "$PULUMI_BACKEND_URL" == file://* ]] || return 0
  local root="${PULUMI_BACKEND_URL#file://}" project f
  root="${root%%\?*}"
  if [[ "$root" == "~"* ]]; then root="$HOME${root#\~}"; fi
  project="$(sed -nE 's/^name:[[:space:]]*([^[:space:]#]+).*/\1/p' Pulumi.yaml | head -n 1)"
  for f in "$root/.pulumi/stacks/$project/$PULUMI_STACK".json*.attrs; do
    [[ -f "$f" && ! -s "$f" ]] || continue
    say "removing $f: it is empty, left by a run killed while it wrote the state (every command would fail with \"failed to load checkpoint: EOF\")"
    rm -f "$f"
  done
}
repair_attrs

# The locks that a "the stack is currently locked" error lists, one "host pid timestamp" a line.
listed_locks() { sed -E "s/\x1b\[[0-9;]*m//g" "$work/out" | sed -nE 's/^ *.*: created by .*@([^@ ]+) \(pid ([0-9]+)\) at ([^ ]+).*$/\1 \2 \3/p'; }
# Whether every lock listed was certainly left by a run that is gone: taken on this machine by a
# process that is no longer a pulumi, or (when STALE_LOCK_SECONDS is set) older than that. A lock
# of another machine may belong to a run that is alive: only time, or a person, can tell.
locks_stale() {
  local host pid at n=0 age
  while read -r host pid at; do
    n=$((n + 1))
    # Gone: no such process, one that is not pulumi (the pid was reused), or a zombie.
    if [[ "$host" == "$(uname -n)" ]] && ! ps -p "$pid" -o stat=,comm= 2>/dev/null | grep -qE '^ *[^Z ][^ ]* +pulumi'; then continue; fi
    if [[ -n "$STALE_LOCK_SECONDS" ]] && age=$(( $(date +%s) - $(date -d "$at" +%s 2>/dev/null || date +%s) )) && (( age > STALE_LOCK_SECONDS )); then continue; fi
    return 1
  done < <(listed_locks)
  (( n > 0 ))
}

# Runs a command that takes the stack's lock. While another run holds the lock, waits and tries
# again, up to LOCK_WAIT_SECONDS: the lock is taken before anything else, so nothing has happened.
# A lock left by a killed run (locks_stale) is removed once with `pulumi cancel --yes`.
locked() {
  local waited=0 code pause healed=""
  while :; do
    code=0
    gently "$@" || code=$?
    if (( code != 0 )) && grep -q "the stack is currently locked" "$work/out"; then
      if [[ -z "$healed" ]] && locks_stale; then
        healed=1
        say "the lock of stack $PULUMI_STACK was left by a run that was killed (its pulumi process is gone); removing it with \`pulumi cancel --yes\`"
        gently pulumi cancel --yes --non-interactive
        continue
      fi
      if (( waited < LOCK_WAIT_SECONDS )); then
        pause=$(( 5 + RANDOM % 6 ))
        say "stack $PULUMI_STACK is locked by another run; trying again in ${pause}s (waited ${waited}s of ${LOCK_WAIT_SECONDS}s)"
        sleep "$pause" &
        while kill -0 $! 2>/dev/null; do wait $! || true; done
        [[ -z "$stopping" ]] || stopped
        waited=$(( waited + pause ))
        continue
      fi
    fi
    if (( code != 0 )) && (( LOCK_WAIT_SECONDS > 0 )) && (( waited >= LOCK_WAIT_SECONDS )); then
      say "stack $PULUMI_STACK stayed locked for ${LOCK_WAIT_SECONDS}s; if no run holds it any more, \`pulumi cancel --yes\` removes a stale lock"
    fi
    return "$code"
  done
}

# Pulumi keeps its records of the creates a killed run left ("pending operations ... interrupted
# while creating") even after the next up has made those resources, and warns on every run until
# `pulumi refresh --clear-pending-creates` drops them. After an up that succeeded, a record is
# certainly settled when its resource is now in state with the same token name and owner: that up
# made (or kept) the token, and a token the killed create may have left under that name would have
# been settled (settle_ids) and re-made, or would have failed the up (names are unique per owner). Only when
# every record is settled are they cleared (the command clears all of them); otherwise they stay,
# with the command named for a person to run once the others are accounted for.
clear_settled_creates() {
  # `up --refresh` does not print Pulumi's "pending operations" warning: the state tells.
  pulumi stack export --non-interactive --file "$work/state.json"
  grep -q '"pending_operations"' "$work/state.json" || return 0
  local unsettled
  unsettled="$(node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deployment;
    if (!(d.pending_operations || []).length) console.log("-");
    const held = new Map((d.resources || []).map((r) => [r.urn, r.inputs || {}]));
    for (const op of d.pending_operations || []) {
      const now = held.get(op.resource.urn), then = op.resource.inputs || {};
      const same = now && op.type === "creating" && now.name === then.name && now.userName === then.userName && now.userId === then.userId;
      if (!same) console.log(op.type + " " + op.resource.urn);
    }' "$work/state.json")"
  [[ "$unsettled" != "-" ]] || return 0
  if [[ -n "$unsettled" ]]; then
    say "Pulumi still records operations of a run that was cut short that this up did not settle; once each is accounted for, run \`pulumi refresh --clear-pending-creates --yes\`:"
    echo "$unsettled"
    return 0
  fi
  say "this up made every resource whose create a killed run left pending; clearing Pulumi's records of those creates"
  gently pulumi refresh --clear-pending-creates --yes --non-interactive
}

# A token that a killed run's create left on the CommServe (its answer, and the secret in it, lost)
# makes the next up refuse, before any write, naming the token and printing
# `COMMVAULT_TOKENS_SETTLE=<ids> pulumi up`: the server alone cannot tell it from another stack's
# token declared alike. Pulumi's own record can, in part. An id is confirmed here only when all hold:
# (a) the refusal names its token with the name and owner of a `creating` pending operation of this
#     stack (a rotation: see below);
# (b) no resource of the state (before this up, or after it) holds that token id in its outputs: a
#     resource that the refused run had not diffed yet (its inputs still unknown, or renamed away
#     from the name in the same run) looks like a leftover to the provider;
# (c) the token was made, by this machine's clock (the refusal puts the CommServe's createdTime on
#     it with the offset the server's Date header shows), no later than the killed run's last
#     record, the state's deployment.manifest.time before this up, plus the longest a create takes
#     (the seconds the refusal names): a pending operation proves only that this stack tried to
#     create that name, and a token made later (another stack's, on the same backend and program)
#     cannot be its leftover. A refusal on the CommServe's clock (no Date header) is left to a person.
# A rotation killed while its new token's POST was on the wire leaves the same kind of token, and
# the refusal says so ("the new token of a rotation of this resource"). Pulumi records that run as
# an `updating` pending operation, but drops the record in the next up (measured with the CLI
# v3.274.1), so it is read from the state as it was before this run's up ($work/before.json): (a) is
# then that a pending `updating` operation there declares the refused name, and the resource it is
# about holds, in its outputs, the token the refusal names as this resource's (already aside) with
# the same owner. Prints the confirmed ids, comma-separated; says why it leaves each other named id
# to a person.
settle_ids() {
  grep -q 'COMMVAULT_TOKENS_SETTLE=' "$work/out" || return 0
  pulumi stack export --non-interactive --file "$work/state.json"
  node "$here/settle-ids.js" "$work/out" "$work/state.json" "$work/before.json"
}

gently pulumi stack select --create "$PULUMI_STACK" --non-interactive

case "$stage" in
  pr)
    gently pulumi preview --diff --policy-pack "$POLICY_PACK" --policy-pack-config "$POLICY_CONFIG" --non-interactive
    ;;
  merge)
    code=0
    # Pulumi's records as they stand before this up, which drops those of interrupted updates (settle_ids).
    pulumi stack export --non-interactive --file "$work/before.json" >/dev/null 2>&1 || rm -f "$work/before.json"
    locked pulumi up --yes --refresh --diff --policy-pack "$POLICY_PACK" --policy-pack-config "$POLICY_CONFIG" --non-interactive || code=$?
    # A refused run names only the leftovers of the creates it started (the engine stops starting
    # creates at the first failures): settle, and up again while each round confirms new ids.
    settled="," round=0
    while (( code != 0 && round < SETTLE_ROUNDS )); do
      ids="$(settle_ids)"
      fresh=""
      for id in ${ids//,/ }; do [[ "$settled" == *",$id,"* ]] || fresh=1; done
      [[ -n "$fresh" ]] || break
      round=$((round + 1))
      settled="$settled$ids,"
      say "tokens $ids are leftovers of this stack's run that was cut short (each named with a creating operation Pulumi records as pending, or an updating one of the resource whose rotation it is; held by no resource of the state; made no later than that run's last record plus the longest a create takes); settling them (round $round of at most $SETTLE_ROUNDS): COMMVAULT_TOKENS_SETTLE=$ids pulumi up"
      code=0
      locked env COMMVAULT_TOKENS_SETTLE="$ids" pulumi up --yes --refresh --diff --policy-pack "$POLICY_PACK" --policy-pack-config "$POLICY_CONFIG" --non-interactive || code=$?
    done
    (( code == 0 )) || exit "$code"
    clear_settled_creates
    ;;
  nightly)
    set +e
    gently pulumi preview --refresh --expect-no-changes --diff --non-interactive
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
