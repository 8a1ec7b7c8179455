#!/bin/bash
# kafka-storage.sh: as in the Kafka 4.1 distribution (main class kafka.tools.StorageTool)
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
