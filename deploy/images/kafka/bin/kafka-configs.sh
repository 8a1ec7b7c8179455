#!/bin/bash
# kafka-configs.sh: as in the Kafka 4.1 distribution (main class kafka.admin.ConfigCommand)
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
