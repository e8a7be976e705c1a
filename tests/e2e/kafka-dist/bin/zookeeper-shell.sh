#!/bin/bash
# Stand-in for Kafka 3.x's bin/zookeeper-shell.sh: ZooKeeper's shell with Kafka's
# options for a TLS client (-zk-tls-config-file), from the broker's jar;
# zookeeper-shell.sh host:port [command].
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka -server "$@"
