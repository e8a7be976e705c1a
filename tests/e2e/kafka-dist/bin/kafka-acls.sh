#!/bin/bash
# Stand-in for the distribution's bin/kafka-acls.sh.
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.AclCommand "$@"
