#!/bin/bash
# kafka-broker-api-versions.sh: as in the Kafka 4.1 distribution (main class org.apache.kafka.tools.BrokerApiVersionsCommand)
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
