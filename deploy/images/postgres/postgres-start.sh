#!/bin/bash
# regent/postgres's entrypoint: what docker-compose.yml's registry-db needs of the postgres image. On the first
# start (empty $PGDATA) pg-init.sh creates the cluster, the superuser POSTGRES_USER with POSTGRES_PASSWORD and
# the database POSTGRES_DB, listening on every address with scram-sha-256; then the server runs in the
# foreground (docker stop sends SIGINT, the image's STOPSIGNAL: a fast shutdown). Arguments go to postgres (e.g. -c name=value).
set -euo pipefail
if [[ ! -s $PGDATA/PG_VERSION ]]; then
  /usr/local/bin/pg-init.sh
fi
unset POSTGRES_PASSWORD
exec /usr/lib/postgresql/15/bin/postgres -D "$PGDATA" "$@"
