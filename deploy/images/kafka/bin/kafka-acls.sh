#!/bin/bash
# kafka-acls.sh: as in the Kafka 4.1 distribution (main class org.apache.kafka.tools.AclCommand)
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.AclCommand "$@"
