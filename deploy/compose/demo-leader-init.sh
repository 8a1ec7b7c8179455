#!/usr/bin/env bash
# demo-1 (the demo cluster's first leader): runs once, when regent/node initialises an empty data directory
# (deploy/images/postgres/pg-init.sh runs /docker-entrypoint-initdb.d/* on a server listening on its unix
# socket only; the postgres image runs it the same way). Creates
#   - replicator: the role demo-2 and demo-3 stream as (and take their base backup with);
#   - regent: Regent's control role, never a superuser, with only what the agents and the
#     failover-service use (DESIGN.md, "Least privilege for the control-plane role"):
#       pg_monitor                    probes: pg_stat_replication, pg_stat_wal_receiver, WAL positions
#       pg_signal_backend             fencing terminates client sessions (not superusers')
#       pg_checkpoint                 CHECKPOINT on a new leader before an old one is rewound
#       pg_promote                    promotion by SQL
#       pg_reload_conf                re-pointing and fencing take effect without a restart
#       pg_logical_emit_message       the agents' heartbeat WAL record on the leader
#       ALTER SYSTEM ON PARAMETER     primary_conninfo (re-point), synchronous_standby_names and
#                                     default_transaction_read_only (fencing)
#       EXECUTE on pg_ls_dir, pg_stat_file, pg_read_binary_file
#                                     pg_rewind's source role: the node agents rewind an old leader from the
#                                     new one as regent
# The followers are built from this node with pg_basebackup, so they carry the same roles and pg_hba.conf.
set -euo pipefail
: "${REGENT_NODE_PASSWORD:?the regent role needs a password}"
: "${REGENT_REPLICATION_PASSWORD:?the replicator role needs a password}"

# the passwords travel as psql variables (:'name' quotes them), never spliced into the SQL text
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v node_password="$REGENT_NODE_PASSWORD" -v replication_password="$REGENT_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH LOGIN REPLICATION PASSWORD :'replication_password';
CREATE ROLE regent WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'node_password';
GRANT pg_monitor TO regent;
GRANT pg_signal_backend TO regent;
GRANT pg_checkpoint TO regent;
GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO regent;
GRANT EXECUTE ON FUNCTION pg_reload_conf() TO regent;
GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO regent;
GRANT ALTER SYSTEM ON PARAMETER primary_conninfo, synchronous_standby_names, default_transaction_read_only TO regent;
GRANT EXECUTE ON FUNCTION pg_ls_dir(text, boolean, boolean), pg_stat_file(text, boolean), pg_read_binary_file(text),
    pg_read_binary_file(text, bigint, bigint, boolean) TO regent;
SQL

# streaming replication from any container of the compose network (pg-init.sh only opens "all" databases)
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
