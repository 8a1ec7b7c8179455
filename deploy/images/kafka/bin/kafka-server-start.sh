#!/bin/bash
# kafka-server-start.sh SERVER_PROPERTIES: the broker (and KRaft controller) in the foreground, logging to stdout.
set -euo pipefail
kafka_home=${KAFKA_HOME:-/opt/kafka}
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
export KAFKA_LOG4J_CONFIG=${KAFKA_LOG4J_CONFIG:-$kafka_home/config/log4j2.properties}
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
