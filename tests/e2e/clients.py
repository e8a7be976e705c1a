"""Kafka clients of the end-to-end tests (kafka-python), as an application in the cluster uses them."""

from __future__ import annotations

import time
import warnings

with warnings.catch_warnings():
    # kafka-python 3.0 loads its protocol schemas with importlib.resources calls
    # that Python 3.11 reports as deprecated, a hundred times over.
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
    from kafka.structs import OffsetAndMetadata

CLIENT_TIMEOUTS = {"request_timeout_ms": 30000}


def admin(bootstrap: str, **config) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap, **CLIENT_TIMEOUTS, **config)


def create_topic(bootstrap: str, name: str, partitions: int, replication_factor: int,
                 configs: dict[str, str] | None = None, **config) -> None:
    client = admin(bootstrap, **config)
    try:
        client.create_topics([NewTopic(name, partitions, replication_factor,
                                       topic_configs=configs or {})])
    finally:
        client.close()
    wait_for_leaders(bootstrap, name, partitions, **config)


def brokers(bootstrap: str, **config) -> list[dict]:
    """The registered brokers (fenced ones too): broker_id, host, port, rack, is_fenced."""
    client = admin(bootstrap, **config)
    try:
        return client.describe_cluster()["brokers"]
    finally:
        client.close()


def describe_topic(bootstrap: str, name: str, **config) -> list[dict]:
    """The topic's partitions: partition_index, leader_id, replica_nodes, isr_nodes."""
    client = admin(bootstrap, **config)
    try:
        (topic,) = client.describe_topics([name])
        return sorted(topic["partitions"], key=lambda p: p["partition_index"])
    finally:
        client.close()


def topic_configs(bootstrap: str, name: str, **config) -> dict[str, str]:
    """The topic's settings that differ from Kafka's defaults, as name -> value."""
    client = admin(bootstrap, **config)
    try:
        described = client.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        client.close()
    return {key: entry["value"] for key, entry in described["topic"][name].items()}


def wait_for_leaders(bootstrap: str, name: str, partitions: int, timeout: float = 60, **config) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            described = describe_topic(bootstrap, name, **config)
            if len(described) == partitions and all(p["leader_id"] >= 0 for p in described):
                return
        except Exception:  # the topic's metadata has not reached every broker yet
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"topic {name} has no leader for every partition after {timeout:g} s")
        time.sleep(0.5)


def produce(bootstrap: str, topic: str, values: list[bytes], timeout: float = 120, **config) -> None:
    """Send every value with acks=all and wait until each one is acknowledged."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", **CLIENT_TIMEOUTS, **config)
    try:
        futures = [producer.send(topic, value=value, key=value) for value in values]
        producer.flush(timeout)
        for future in futures:
            future.get(timeout=timeout)
    finally:
        producer.close(timeout=30)


def consume_all(bootstrap: str, topic: str, timeout: float = 120, **config) -> list[bytes]:
    """Every record of every partition of the topic, from its beginning to its current end."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             **CLIENT_TIMEOUTS, **config)
    try:
        deadline = time.monotonic() + timeout
        partitions = None
        while not partitions:
            partitions = consumer.partitions_for_topic(topic)
            if time.monotonic() > deadline:
                raise AssertionError(f"no metadata for topic {topic}")
            if not partitions:
                time.sleep(0.5)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        values: list[bytes] = []
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                behind = {tp.partition: (consumer.position(tp), ends[tp]) for tp in assigned}
                raise AssertionError(f"read {len(values)} records of {topic} in {timeout:g} s; "
                                     f"partition: (position, end) = {behind}")
            for records in consumer.poll(timeout_ms=1000).values():
                values.extend(record.value for record in records)
        return values
    finally:
        consumer.close()


def commit_offsets(bootstrap: str, group: str, topic: str, offsets: dict[int, int], **config) -> None:
    """Commit `offsets` (partition -> offset) of `topic` for `group`, as a consumer of it would."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             **CLIENT_TIMEOUTS, **config)
    try:
        consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(offset, "", -1)
                         for p, offset in offsets.items()})
    finally:
        consumer.close()
