"""kafkac: Strimzi's Kafka API compiled at build time into plain Helm charts."""

__version__ = "0.1.0"
