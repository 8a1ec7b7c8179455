#!/bin/bash
# kafka-run-class.sh MAIN_CLASS ARGS...: java with Kafka's jars - what the distribution's script of that name
# does, reduced to what regent/kafka runs. The other scripts here call it with their main class.
#   KAFKA_HEAP_OPTS             heap (default -Xmx256M, the tools'; kafka-server-start.sh sets the broker's)
#   KAFKA_JVM_PERFORMANCE_OPTS  GC and JIT options (default: the distribution's)
#   KAFKA_LOG4J_CONFIG          log4j2 configuration (default config/tools-log4j2.properties: warnings, stderr)
#   KAFKA_OPTS                  anything else
set -euo pipefail
kafka_home=${KAFKA_HOME:-/opt/kafka}
main=${1:?usage: kafka-run-class.sh MAIN_CLASS [ARGS...]}
shift
# word splitting of the option variables is intended (several options in one variable)
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  "-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-$kafka_home/config/tools-log4j2.properties}" \
  ${KAFKA_OPTS:-} -cp "$kafka_home/libs/*" "$main" "$@"
