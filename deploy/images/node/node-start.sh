#!/bin/bash
# regent/node's entrypoint: one PostgreSQL node and the Regent monitor agent beside it in node mode. Runs as the
# postgres user, under an init process (docker-compose.yml: init: true).
#
#   1. First start of the cluster's first leader only (REGENT_NODE_INITDB=true and an empty $PGDATA): pg-init.sh
#      creates the cluster with data checksums (pg_rewind needs them) and the superuser postgres
#      (POSTGRES_PASSWORD), runs /docker-entrypoint-initdb.d/* on a server listening on the unix socket only
#      (docker-compose.yml mounts deploy/compose/demo-leader-init.sh: the roles replicator and regent), and
#      configures streaming replication; pg_basebackup copies all of it to every follower. Any other node starts
#      with an empty data directory: the failover-service has its agent build it from a base backup of the leader
#      (a BOOTSTRAP operation), as for any new node.
#   2. It does not start PostgreSQL: the agent decides that when it boots (regent.monitor.node.start-on-boot) - a
#      standby at once, a server that last ran as the leader only while the registry names it the leader and
#      grants it the leader lease. A container restarted after a failover so never comes back as a second leader.
#   3. It runs the agent in node mode (the settings below, unless set) and waits for it. docker stop: the agent
#      stops first, then PostgreSQL with a fast shutdown, before the container ends (which would SIGKILL it).
#
#   REGENT_MONITOR_NODE_CLUSTER_ID, REGENT_MONITOR_NODE_NAME   the node in the registry (required)
#   REGENT_AGENT_ID             default node-agent-<node name> (list it in REGENT_KNOWN_AGENTS)
#   REGENT_REPLICATION_PASSWORD the replicator role's password (rebuilds, the followers' passfile)
#   REGENT_NODE_PASSWORD, REGENT_KAFKA_*, REGENT_REGISTRY_URL, REGENT_OIDC_*: as for any monitor agent
#   JAVA_OPTS                   more JVM options
# and regent.monitor.node.* by their environment names (Quarkus: REGENT_MONITOR_NODE_DATA_DIRECTORY and so on).
set -euo pipefail

: "${REGENT_MONITOR_NODE_CLUSTER_ID:?set it: the cluster this node belongs to (its id in the registry)}"
: "${REGENT_MONITOR_NODE_NAME:?set it: this node in the registry}"
export PGDATA=${PGDATA:-/var/lib/postgresql/data}
bin=/usr/lib/postgresql/15/bin

export REGENT_AGENT_ID=${REGENT_AGENT_ID:-node-agent-$REGENT_MONITOR_NODE_NAME}
export REGENT_MONITOR_NODE_DATA_DIRECTORY=${REGENT_MONITOR_NODE_DATA_DIRECTORY:-$PGDATA}
export REGENT_MONITOR_NODE_BIN_DIRECTORY=${REGENT_MONITOR_NODE_BIN_DIRECTORY:-$bin}
# how the failover-service reaches this agent: the container's host name (docker-compose.yml sets it to the
# service name) on Quarkus' port
export REGENT_MONITOR_NODE_ADVERTISED_URL=${REGENT_MONITOR_NODE_ADVERTISED_URL:-http://$(hostname):8080}
export REGENT_MONITOR_NODE_START_ON_BOOT=${REGENT_MONITOR_NODE_START_ON_BOOT:-true}
# node actions come from the failover-service, with a token of its Keycloak client
export REGENT_OIDC_ENABLED=${REGENT_OIDC_ENABLED:-true}

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ ${REGENT_NODE_INITDB:-false} == true ]]; then
    echo "node-start.sh: $PGDATA is empty: a new cluster, $REGENT_MONITOR_NODE_NAME its first leader"
    POSTGRES_USER=postgres POSTGRES_DB=postgres \
      POSTGRES_INITDB_ARGS="--data-checksums ${POSTGRES_INITDB_ARGS:-}" /usr/local/bin/pg-init.sh
    cat >> "$PGDATA/postgresql.conf" <<'EOF'
# --- deploy/images/node/node-start.sh: streaming replication; pg_basebackup copies this file to every follower.
# (pg_rewind's wal_log_hints is not needed: the cluster has data checksums.)
wal_level = replica
hot_standby = on
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '256MB'
# a partition sends no FIN: without these a follower reports "streaming" from a leader cut off for 60 s
# (the defaults), and the leader shows the follower as streaming as long
wal_receiver_timeout = '5s'
wal_sender_timeout = '5s'
# the node's own settings (port, cluster_name): the agent writes them again after a rewind or a rebuild
include_if_exists = 'regent-node.conf'
EOF
    printf "# written by node-start.sh for node %s\nport = '5432'\ncluster_name = '%s'\n" \
      "$REGENT_MONITOR_NODE_NAME" "$REGENT_MONITOR_NODE_NAME" > "$PGDATA/regent-node.conf"
  else
    echo "node-start.sh: $PGDATA is empty: the failover-service builds $REGENT_MONITOR_NODE_NAME from a base" \
      "backup of the leader through this node's agent"
  fi
fi
# the superuser's password was for pg-init.sh only: neither the agent nor Regent uses it
unset POSTGRES_PASSWORD

# word splitting of JAVA_OPTS is intended
# shellcheck disable=SC2086
java -Dquarkus.http.host=0.0.0.0 -Djava.util.logging.manager=org.jboss.logmanager.LogManager ${JAVA_OPTS:-} \
  -jar /deployments/quarkus-run.jar &
agent=$!
trap 'kill -TERM "$agent" 2> /dev/null || true' TERM INT
while :; do
  status=0
  wait "$agent" || status=$? # returns early when a signal arrives: then the agent still runs, wait again
  kill -0 "$agent" 2> /dev/null || break
done

# the container ends with this script: stop the server the agent started, rather than leave it to a SIGKILL
if "$bin/pg_ctl" -D "$PGDATA" status > /dev/null 2>&1; then
  echo "node-start.sh: the agent has stopped (status $status); stopping PostgreSQL (fast)"
  "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t 20 stop || "$bin/pg_ctl" -D "$PGDATA" -m immediate -w stop || true
fi
exit "$status"
