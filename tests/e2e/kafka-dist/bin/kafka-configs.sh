#!/bin/bash
# Stand-in for the distribution's bin/kafka-configs.sh.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
