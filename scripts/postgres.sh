#!/usr/bin/env bash
# A PostgreSQL server of its own on a loopback port, for Pulumi's postgres:// state backend: what
# the tests and a local run of examples/gitops/pipeline.sh use when no PULUMI_BACKEND_URL is given.
# Uses Debian's `postgresql` package (initdb, pg_ctl under /usr/lib/postgresql/<version>/bin; set
# PG_BIN to use others). PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user that the package creates, and DIR must be a folder that user can reach.
#
#   scripts/postgres.sh start DIR   # creates a cluster in DIR if there is none, starts it on a free
#                                   # port of 127.0.0.1, prints its backend URL on the last line
#   scripts/postgres.sh url DIR     # the running server's backend URL
#   scripts/postgres.sh stop DIR    # stops it (DIR and the state in it stay)
#
# The URL holds no password: the database user's password is in DIR/password, generated at
# creation (a throwaway, local to this machine), and reaches Pulumi as PGPASSWORD:
#   PGPASSWORD="$(cat DIR/password)" PULUMI_BACKEND_URL="$(scripts/postgres.sh start DIR | tail -n 1)" pulumi ...
set -euo pipefail
log() { echo "postgres: $*" >&2; }
die() { log "$*"; exit 1; }

cmd="${1:-}"; dir="${2:-}"
[[ "$cmd" =~ ^(start|stop|url)$ && -n "$dir" ]] || die "usage: $0 start|stop|url DIR"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
data="$dir/data"
# The server's commands run as another user when we are root: from a folder every user can enter.
cd /

bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[[ -n "$bin" && -x "$bin/initdb" && -x "$bin/pg_ctl" ]] \
  || die "PostgreSQL's initdb and pg_ctl are missing: install Debian's postgresql package (apt-get install postgresql), or set PG_BIN"

# The server's own commands run as the postgres user when we are root.
as_server() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
url() { echo "postgres://pulumi@127.0.0.1:$(cat "$dir/port")/pulumi?sslmode=disable"; }
running() { [[ -f "$data/postmaster.pid" ]] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
  url)
    running || die "no server is running in $dir"
    url
    exit 0
    ;;
  stop)
    if running; then as_server "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null; log "stopped the server in $dir"; fi
    exit 0
    ;;
esac

if running; then
  log "the server in $dir is already running"
  url
  exit 0
fi

if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "there is no postgres user to run the server as (Debian's postgresql package creates it)"
  chown postgres: "$dir"
  chmod 700 "$dir"
  runuser -u postgres -- test -w "$dir" || die "the postgres user cannot reach $dir: choose a folder outside private ones (such as one made in /tmp)"
fi

if [[ ! -f "$data/PG_VERSION" ]]; then
  # A fresh cluster whose only role, pulumi, has a generated password; scram over TCP only.
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=\n' > "$dir/password")
  [[ "$(id -u)" == 0 ]] && chown postgres: "$dir/password"
  as_server "$bin/initdb" -D "$data" -U pulumi --pwfile="$dir/password" --auth=scram-sha-256 -E UTF8 --no-locale >/dev/null \
    || die "initdb failed in $data"
  log "created a cluster in $data"
fi

# A free port, asked of the kernel; if another process takes it before the server does, try again.
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'; }
for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  if as_server "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
       -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir'" start >/dev/null; then
    echo "$port" > "$dir/port"
    break
  fi
  (( attempt < 5 )) || die "the server did not start; see $dir/server.log"
  log "port $port was not free, trying another"
done

# The database Pulumi keeps its state in (it creates its table itself).
export PGPASSWORD; PGPASSWORD="$(cat "$dir/password")"
psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U pulumi -d postgres -qtAX)
if [[ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'pulumi'")" != 1 ]]; then
  "${psql[@]}" -c "CREATE DATABASE pulumi" >/dev/null
  log "created the database pulumi"
fi
log "listening on 127.0.0.1:$port (data in $data)"
url
