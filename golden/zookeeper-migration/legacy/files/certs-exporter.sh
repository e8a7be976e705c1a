# Sourced by certs-issue.sh, after certs-ca.sh: Kafka Exporter's client
# certificate for the replication listener, in PEM as Kafka Exporter (Go's
# tls.LoadX509KeyPair) reads it: the key unencrypted, PKCS#8. Issued with the
# cluster CA's key or, with a CA of type cert-manager.io, copied from
# cert-manager's.
exporter_certificate() { # Secret, subject
  exporter_secret=$1
  if [ -n "$trust_secret" ]; then
    issued_leaf "Kafka Exporter certificate" "$exporter_secret" kafka-exporter.crt kafka-exporter sslclient \
      kafka-exporter.crt kafka-exporter.key
  else
    cluster_leaf_reason "Kafka Exporter certificate" "$exporter_secret" kafka-exporter.crt "$KAFKAC_RENEWAL_DAYS" : \
      kafka-exporter.crt kafka-exporter.key
  fi
  if [ -z "$reason" ]; then
    log "Kafka Exporter certificate: kept (Secret $exporter_secret is current," \
      "valid until $(utc_date "$leaf_until"))"
    return
  fi
  mkdir -p "$new/$exporter_secret/data"
  if [ -n "$trust_secret" ]; then
    cp "$scratch/kafka-exporter.crt" "$new/$exporter_secret/data/kafka-exporter.crt"
    openssl pkey -in "$scratch/kafka-exporter.key" -out "$new/$exporter_secret/data/kafka-exporter.key"
    queue_leaf_secret "Kafka Exporter certificate" "$exporter_secret"
  else
    issue_leaf kafka-exporter "$2" "$KAFKAC_VALIDITY_DAYS" clientAuth ""
    cp "$scratch/kafka-exporter.crt" "$new/$exporter_secret/data/kafka-exporter.crt"
    cp "$scratch/kafka-exporter.key" "$new/$exporter_secret/data/kafka-exporter.key"
    queue_leaf_secret "Kafka Exporter certificate" "$exporter_secret"
    log "Kafka Exporter certificate: $2, valid $days days"
  fi
}
