#!/bin/bash
# pg-init.sh: initialises an empty data directory ($PGDATA) the way the postgres image does, for regent/postgres
# (docker-compose.yml's registry-db) and regent/node (the demo cluster's first leader). Runs as the postgres user.
#
#   POSTGRES_PASSWORD     the superuser's password (required)
#   POSTGRES_USER         the superuser (default postgres)
#   POSTGRES_DB           a database created for it (default $POSTGRES_USER; none when it is postgres)
#   POSTGRES_INITDB_ARGS  more initdb options (e.g. --data-checksums)
#
# The server listens on every address and takes scram-sha-256 logins from any host; over the unix socket the
# container's own users log in without a password (trust), as in the postgres image. Then the *.sh and *.sql
# files of /docker-entrypoint-initdb.d run, in name order, against a temporary server listening on the unix
# socket only, so that nobody connects before they are done (a .sh file is sourced: it sees PGDATA,
# POSTGRES_USER and the rest).
set -euo pipefail

: "${PGDATA:?PGDATA is not set}"
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD, the password of the superuser}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export POSTGRES_USER POSTGRES_DB
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}

if [[ ! $POSTGRES_USER =~ ^[A-Za-z_][A-Za-z0-9_]*$ || ! $POSTGRES_DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
  echo "pg-init.sh: POSTGRES_USER and POSTGRES_DB must be plain SQL names ([A-Za-z_][A-Za-z0-9_]*)" >&2
  exit 1
fi

mkdir -p "$PGDATA"
chmod 700 "$PGDATA"
pwfile=$(mktemp)
log=$(mktemp)
trap 'rm -f "$pwfile" "$log"' EXIT
printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
# word splitting of POSTGRES_INITDB_ARGS is intended
# shellcheck disable=SC2086
"$bin/initdb" -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-}
rm -f "$pwfile"

cat >> "$PGDATA/postgresql.conf" <<'CONF'

# --- deploy/images/postgres/pg-init.sh ---
listen_addresses = '*'
CONF
echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"

# a temporary server on the unix socket only
if ! "$bin/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses=''" -l "$log" start > /dev/null; then
  cat "$log" >&2
  exit 1
fi
export PGUSER=$POSTGRES_USER PGDATABASE=postgres PGHOST=/var/run/postgresql
if [[ $POSTGRES_DB != postgres ]]; then
  "$bin/psql" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\""
fi
shopt -s nullglob
for file in /docker-entrypoint-initdb.d/*; do
  case $file in
    *.sh) echo "pg-init.sh: running $file"; (set -euo pipefail; . "$file") ;;
    *.sql) echo "pg-init.sh: running $file"; "$bin/psql" -v ON_ERROR_STOP=1 -q -d "$POSTGRES_DB" -f "$file" ;;
    *) echo "pg-init.sh: ignoring $file" ;;
  esac
done
"$bin/pg_ctl" -D "$PGDATA" -m fast -w stop > /dev/null
echo "pg-init.sh: $PGDATA initialised (superuser $POSTGRES_USER)"
