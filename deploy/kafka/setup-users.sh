#!/bin/bash
# Regent's service principals (io.regent.events.KafkaAccess.SERVICE_PRINCIPALS) as SCRAM-SHA-512 users,
# each with the password of its environment variable. regent-admin is not here: the broker's storage is
# formatted with it (deploy/kafka/kafka-start.sh), and it runs this script.
#
#   setup-users.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES
#
# ADMIN_CLIENT_PROPERTIES: regent-admin's client settings (security.protocol=SASL_SSL,
# sasl.mechanism=SCRAM-SHA-512, sasl.jaas.config, ssl.truststore.*). docker-compose.yml's kafka-init runs
# it; for a broker of your own (k8s/README.md) run it wherever the Kafka tools are (KAFKA_BIN, default
# /opt/kafka/bin).
#
# Idempotent: it sets every password again. To rotate one, change its variable, run this script, then
# restart the service that logs in with it (docs/security-deployment-draft.md).
set -euo pipefail

bootstrap=${1:?usage: setup-users.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES}
config=${2:?usage: setup-users.sh BOOTSTRAP ADMIN_CLIENT_PROPERTIES}
kafka_bin=${KAFKA_BIN:-/opt/kafka/bin}

# user PRINCIPAL VARIABLE: PRINCIPAL's SCRAM-SHA-512 credential from the password in $VARIABLE
user() {
  local principal=$1 variable=$2
  local password=${!variable:-}
  # hex or similar: the password goes into the tool's [password=...] syntax and the clients' JAAS quotes
  if [[ ! $password =~ ^[A-Za-z0-9._-]{16,}$ ]]; then
    echo "setup-users.sh: $variable must be 16 or more characters of [A-Za-z0-9._-] (openssl rand -hex 24)" >&2
    exit 1
  fi
  "$kafka_bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$config" --alter \
    --entity-type users --entity-name "$principal" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" > /dev/null
  echo "  SCRAM-SHA-512 user $principal (password from $variable)"
}

echo "Kafka users at $bootstrap:"
user regent-registry REGENT_KAFKA_REGISTRY_PASSWORD
user regent-monitor REGENT_KAFKA_MONITOR_PASSWORD
user regent-failover REGENT_KAFKA_FAILOVER_PASSWORD
user regent-gateway REGENT_KAFKA_GATEWAY_PASSWORD
user regent-app REGENT_KAFKA_APP_PASSWORD
