#!/bin/bash
# The ACLs of io.regent.events.KafkaAccess.GRANTS: what each Regent principal may do. The broker refuses
# everything else (allow.everyone.if.no.acl.found=false); regent-admin and regent-controller are super
# users and need none. KafkaDeploymentTest (devstack) compares the acl lines below with GRANTS: change
# both together.
#
#   setup-acls.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES
#
# ADMIN_CLIENT_PROPERTIES: regent-admin's client settings, as for setup-users.sh. docker-compose.yml's
# kafka-init runs it; for a broker of your own (k8s/README.md) run it wherever the Kafka tools are
# (KAFKA_BIN, default /opt/kafka/bin).
#
# Idempotent: adding an ACL that exists changes nothing. It never removes one: when a grant leaves
# GRANTS, remove its ACL by hand (kafka-acls.sh --remove, docs/security-deployment-draft.md).
set -euo pipefail

bootstrap=${1:?usage: setup-acls.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES}
config=${2:?usage: setup-acls.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES}
kafka_bin=${KAFKA_BIN:-/opt/kafka/bin}

# acl PRINCIPAL RESOURCE [--resource-pattern-type prefixed] --operation OP...: allow PRINCIPAL the
# operations on the resource (--topic, --group or --transactional-id NAME; literal unless prefixed)
acl() {
  local principal=$1
  shift
  "$kafka_bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$config" --add \
    --allow-principal "User:$principal" "$@" > /dev/null
  echo "  User:$principal $*"
}

echo "Kafka ACLs at $bootstrap:"
# registry: the outbox relay writes topology and operations in transactions; it reads topology
acl regent-registry --topic regent.topology.v1 --operation Read --operation Write --operation Describe
acl regent-registry --topic regent.operations.v1 --operation Write --operation Describe
acl regent-registry --transactional-id regent-registry --resource-pattern-type prefixed --operation Write --operation Describe
# monitor agents: write node health; read topology (which nodes to probe)
acl regent-monitor --topic regent.node-health.v1 --operation Write --operation Describe
acl regent-monitor --topic regent.topology.v1 --operation Read --operation Describe
# failover-service: reads node health, commands and topology in its consumer group; writes nothing
acl regent-failover --topic regent.node-health.v1 --operation Read --operation Describe
acl regent-failover --topic regent.commands.v1 --operation Read --operation Describe
acl regent-failover --topic regent.topology.v1 --operation Read --operation Describe
acl regent-failover --group regent-failover --resource-pattern-type prefixed --operation Read
# gateway: writes commands; reads topology, node health and operations
acl regent-gateway --topic regent.commands.v1 --operation Write --operation Describe
acl regent-gateway --topic regent.topology.v1 --operation Read --operation Describe
acl regent-gateway --topic regent.node-health.v1 --operation Read --operation Describe
acl regent-gateway --topic regent.operations.v1 --operation Read --operation Describe
acl regent-gateway --group regent-gateway --resource-pattern-type prefixed --operation Read
# applications following the topology
acl regent-app --topic regent.topology.v1 --operation Read --operation Describe
acl regent-app --group regent-app --resource-pattern-type prefixed --operation Read
