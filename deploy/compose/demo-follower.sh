#!/usr/bin/env bash
# demo-2 / demo-3: the entrypoint of a follower of the demo cluster. On first start (empty data
# directory) it clones the leader with pg_basebackup -R, which writes standby.signal and primary_conninfo
# (with the replicator's password); then it hands over to the postgres image's own entrypoint, which
# finds an initialised data directory and only starts the server (as the postgres user).
# After a failover Regent re-points primary_conninfo by ALTER SYSTEM; a restart keeps that setting.
set -euo pipefail
: "${REGENT_REPLICATION_PASSWORD:?the password of the replicator role}"
leader="${DEMO_LEADER_HOST:-demo-1}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    echo "demo-follower: cloning $leader into $PGDATA"
    PGPASSWORD="$REGENT_REPLICATION_PASSWORD" gosu postgres \
        pg_basebackup --host="$leader" --port=5432 --username=replicator --pgdata="$PGDATA" \
        --wal-method=stream --checkpoint=fast --write-recovery-conf --no-password
fi

exec docker-entrypoint.sh "$@"
