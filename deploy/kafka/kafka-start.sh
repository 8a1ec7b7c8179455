#!/bin/bash
# docker-compose.yml's Kafka broker (entrypoint of regent/kafka, laid out as the apache/kafka image is): one
# KRaft node, broker and controller, that nobody reaches without authenticating.
#
#   - the KAFKA_* environment becomes server.properties, as in the image's own start script
#     (KAFKA_LOG_DIRS -> log.dirs; ___ stands for -, __ for _);
#   - secrets never appear in that environment: this script adds the JAAS settings of the two listeners
#     from REGENT_KAFKA_ADMIN_PASSWORD (regent-admin, SCRAM-SHA-512: the broker's own inter-broker
#     identity and the operator's) and REGENT_KAFKA_CONTROLLER_PASSWORD (regent-controller, the static
#     SASL PLAIN user of the controller listener; no other user can log in there);
#   - the first start formats the storage with regent-admin's SCRAM credential (kafka-storage format
#     --add-scram), so that a super user exists before anyone connects; kafka-init then adds the service
#     principals (setup-users.sh) and their ACLs (setup-acls.sh);
#   - it writes the admin's client settings to $KAFKA_HOME/config/regent-admin.properties for the
#     health check.
# The certificates come from deploy/kafka/make-certs.sh (mounted read-only).
set -euo pipefail

kafka_home=${KAFKA_HOME:-/opt/kafka}
config_dir=${REGENT_KAFKA_CONFIG_DIR:-$kafka_home/config}
admin=regent-admin
controller=regent-controller

: "${CLUSTER_ID:?CLUSTER_ID is not set}"
: "${KAFKA_CONTROLLER_LISTENER_NAMES:?}" "${KAFKA_INTER_BROKER_LISTENER_NAME:?}"
: "${KAFKA_SSL_KEYSTORE_LOCATION:?}" "${KAFKA_SSL_TRUSTSTORE_LOCATION:?}"

# hex or similar: the passwords go into JAAS quoted strings and the --add-scram syntax as they are
for variable in REGENT_KAFKA_ADMIN_PASSWORD REGENT_KAFKA_CONTROLLER_PASSWORD; do
  value=${!variable:-}
  if [[ ! $value =~ ^[A-Za-z0-9._-]{16,}$ ]]; then
    echo "kafka-start.sh: $variable must be 16 or more characters of [A-Za-z0-9._-] (openssl rand -hex 24)" >&2
    exit 1
  fi
done

for file in "$KAFKA_SSL_KEYSTORE_LOCATION" "$KAFKA_SSL_TRUSTSTORE_LOCATION"; do
  if [[ ! -r $file ]]; then
    echo "kafka-start.sh: $file is missing or unreadable: run deploy/kafka/make-certs.sh on the host" \
      "(see docker-compose.yml), then docker compose up again" >&2
    exit 1
  fi
done

scram_jaas() {
  echo "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$1\" password=\"$2\";"
}

inter_broker=${KAFKA_INTER_BROKER_LISTENER_NAME,,}
controller_listener=${KAFKA_CONTROLLER_LISTENER_NAMES,,}
properties=$config_dir/regent-server.properties
admin_properties=$config_dir/regent-admin.properties

umask 077
{
  echo "# written by deploy/kafka/kafka-start.sh from the KAFKA_* environment"
  for name in $(compgen -e | LC_ALL=C sort); do
    case $name in
      # the start scripts' own variables, not broker settings
      KAFKA_HOME|KAFKA_VERSION|KAFKA_URL|KAFKA_OPTS|KAFKA_*_OPTS|KAFKA_JMX_*|KAFKA_LOG4J_*|KAFKA_GC_*) continue ;;
      KAFKA_*) ;;
      *) continue ;;
    esac
    key=${name#KAFKA_}
    key=${key//___/-}
    key=${key//__/@}
    key=${key//_/.}
    key=${key//@/_}
    echo "${key,,}=${!name}"
  done
  echo
  echo "# the listeners' users (from REGENT_KAFKA_ADMIN_PASSWORD and REGENT_KAFKA_CONTROLLER_PASSWORD)"
  echo "listener.name.$inter_broker.scram-sha-512.sasl.jaas.config=$(scram_jaas "$admin" "$REGENT_KAFKA_ADMIN_PASSWORD")"
  # every other SASL listener (EXTERNAL, published to the host) authenticates SCRAM users the same way; the
  # broker needs a login module entry per listener, whose user it never uses there
  IFS=',' read -ra mapped <<< "${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:-}"
  for entry in "${mapped[@]}"; do
    listener=${entry%%:*}
    listener=${listener,,}
    if [[ ${entry#*:} == SASL_* && $listener != "$inter_broker" && $listener != "$controller_listener" ]]; then
      echo "listener.name.$listener.scram-sha-512.sasl.jaas.config=$(scram_jaas "$admin" "$REGENT_KAFKA_ADMIN_PASSWORD")"
    fi
  done
  echo "listener.name.$controller_listener.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule" \
    "required username=\"$controller\" password=\"$REGENT_KAFKA_CONTROLLER_PASSWORD\"" \
    "user_$controller=\"$REGENT_KAFKA_CONTROLLER_PASSWORD\";"
} > "$properties"

cat > "$admin_properties" <<EOF
# regent-admin over the client listener (SASL_SSL, SCRAM-SHA-512): the health check's settings
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(scram_jaas "$admin" "$REGENT_KAFKA_ADMIN_PASSWORD")
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_SSL_TRUSTSTORE_LOCATION
EOF

# once per storage directory; a restarted container keeps its data and its users
"$kafka_home/bin/kafka-storage.sh" format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$properties" \
  --add-scram "SCRAM-SHA-512=[name=$admin,password=$REGENT_KAFKA_ADMIN_PASSWORD]"

unset REGENT_KAFKA_ADMIN_PASSWORD REGENT_KAFKA_CONTROLLER_PASSWORD
exec "$kafka_home/bin/kafka-server-start.sh" "$properties"
