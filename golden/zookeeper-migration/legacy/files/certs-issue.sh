#!/bin/sh
# Issues what is missing of a kafkac cluster's certificates, with openssl.
#
# Second step of the certificates Job, in Strimzi's Kafka image (its openssl;
# no JVM runs).
# certs-fetch.sh left the Secrets that already exist in $KAFKAC_WORK_DIR/existing/
# (<secret>/data/<key>, <secret>/resourceVersion, <secret>/force-renew); this
# script writes what certs-store.sh must create or update into
# $KAFKAC_WORK_DIR/new/ (<secret>/data/<key>, <secret>/action: create or
# replace, and `order`, the Secrets in the order they must be written).
#
#   cluster CA     a 2048-bit RSA key and a self-signed CA certificate,
#                  CN=cluster-ca v0, O=io.strimzi. Created only when neither
#                  of its Secrets exists; its key is never replaced. Its
#                  certificate is renewed, for the same key, within renewalDays
#                  of its end or on the annotation kafkac.io/force-renew=true of
#                  its certificate Secret. With $KAFKAC_CLUSTER_CA_GENERATE false
#                  the CA is the user's: read from its two Secrets, never written.
#   clients CA     the same, CN=clients-ca v0, O=io.strimzi, in its own two
#                  Secrets ($KAFKAC_CLIENTS_CA_GENERATE); it signs the
#                  KafkaUsers' certificates.
#   node           one key and certificate for every Kafka node, signed by the
#                  cluster CA, subject $KAFKAC_NODE_SUBJECT, for every name in
#                  $KAFKAC_DNS_NAMES (the chart writes each name inside the
#                  cluster in its four forms: name, name.<ns>, name.<ns>.svc,
#                  name.<ns>.svc.<cluster domain>), every name in
#                  $KAFKAC_EXTERNAL_DNS_NAMES and address in
#                  $KAFKAC_EXTERNAL_IP_ADDRESSES as it is, and the addresses
#                  certs-fetch.sh found on the listeners' load balancer
#                  Services and Routes. Issued anew only when it is
#                  absent, not signed by the current CA, does not cover every
#                  one of those names, expires within $KAFKAC_RENEWAL_DAYS days,
#                  or its Secret carries the annotation kafkac.io/force-renew=true,
#                  and after the cluster CA certificate was renewed.
#   Kafka Exporter when $KAFKAC_EXPORTER_CERT_SECRET is set: a client certificate
#                  (extended key usage clientAuth) signed by the cluster CA,
#                  subject $KAFKAC_EXPORTER_SUBJECT, in PEM: kafka-exporter.crt
#                  and kafka-exporter.key (unencrypted PKCS#8). Issued anew on the same
#                  conditions as the node certificate, names aside.
#   JMX            when $KAFKAC_JMX_SECRET is set: a random user name and
#                  password (jmx-username, jmx-password), made only when that
#                  Secret is absent and never changed.
#
# With a CA of type cert-manager.io ($KAFKAC_CLUSTER_CA_TRUST_SECRET or
# $KAFKAC_CLIENTS_CA_TRUST_SECRET set) kafkac has no key of that CA: its CA
# certificate Secret holds the CA certificates to trust that the spec names
# (trust_ca), and the node and Kafka Exporter certificates are the ones
# cert-manager issued into <Secret>-cm, checked and copied with the keys above
# (issued_leaf); cert-manager renews them, the next run copies the renewed ones.
#
# A run over Secrets that are all current writes nothing at all, so running the
# Job again, or rendering the chart again, never rotates anything. Every input
# is an environment variable or a file; values are used as data, never evaluated.
#
# This file runs the steps in order; each job is in a file it sources:
# certs-names.sh (the names the node certificate covers), certs-ca.sh (the
# CAs), certs-node.sh (the node certificate), certs-exporter.sh (Kafka
# Exporter's), certs-jmx.sh (the JMX credentials) and certs-stage.sh (the
# Secrets staged for certs-store.sh).
set -eu
set -f # the names include wildcards (*.<service>): never expand them as file patterns

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}"
: "${KAFKAC_CLUSTER_CA_CERT_SECRET:?}" "${KAFKAC_CLUSTER_CA_SECRET:?}" "${KAFKAC_NODE_CERT_SECRET:?}"
: "${KAFKAC_CA_SUBJECT:?}" "${KAFKAC_NODE_SUBJECT:?}" "${KAFKAC_DNS_NAMES:?}"
: "${KAFKAC_VALIDITY_DAYS:?}" "${KAFKAC_RENEWAL_DAYS:?}"
: "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}" "${KAFKAC_CLIENTS_CA_SECRET:?}" "${KAFKAC_CLIENTS_CA_SUBJECT:?}"
: "${KAFKAC_CLIENTS_CA_VALIDITY_DAYS:?}" "${KAFKAC_CLIENTS_CA_RENEWAL_DAYS:?}"
: "${KAFKAC_CLUSTER_CA_GENERATE:?}" "${KAFKAC_CLIENTS_CA_GENERATE:?}"

existing=$KAFKAC_WORK_DIR/existing
new=$KAFKAC_WORK_DIR/new
scratch=$KAFKAC_WORK_DIR/scratch
umask 077
rm -rf "$new" "$scratch"
mkdir -p "$new" "$scratch"
: > "$new/order"

log_name=certificates
. "${0%/*}/log.sh"
. "${0%/*}/tls-tools.sh"
. "${0%/*}/certs-stage.sh"
. "${0%/*}/certs-names.sh"
. "${0%/*}/certs-ca.sh"
. "${0%/*}/certs-node.sh"
. "${0%/*}/certs-exporter.sh"
. "${0%/*}/certs-jmx.sh"

for generate in "$KAFKAC_CLUSTER_CA_GENERATE" "$KAFKAC_CLIENTS_CA_GENERATE"; do
  case $generate in
    true|false) ;;
    *) fail "KAFKAC_CLUSTER_CA_GENERATE and KAFKAC_CLIENTS_CA_GENERATE must be true or false" ;;
  esac
done
case $KAFKAC_VALIDITY_DAYS$KAFKAC_RENEWAL_DAYS$KAFKAC_CLIENTS_CA_VALIDITY_DAYS$KAFKAC_CLIENTS_CA_RENEWAL_DAYS in
  *[!0-9]*) fail "the validity and renewal days must be whole numbers of days" ;;
esac

node_certificate_names

now=$(date -u +%s)

# ---------------------------------------------------------------- the CAs
trust_secret=${KAFKAC_CLUSTER_CA_TRUST_SECRET:-}
if [ -n "$trust_secret" ]; then
  : "${KAFKAC_CLUSTER_CA_TRUST_KEY:?}"
  trust_ca "cluster CA" cluster "$KAFKAC_CLUSTER_CA_CERT_SECRET" "$trust_secret" \
    "$KAFKAC_CLUSTER_CA_TRUST_KEY" clusterCa
else
  ensure_ca "cluster CA" cluster "$KAFKAC_CLUSTER_CA_SECRET" "$KAFKAC_CLUSTER_CA_CERT_SECRET" \
    "$KAFKAC_CA_SUBJECT" "$KAFKAC_VALIDITY_DAYS" "$KAFKAC_RENEWAL_DAYS" "$KAFKAC_CLUSTER_CA_GENERATE" clusterCa
fi

# ------------------------------------------------------ leaf certificates
ca_name="cluster CA"
# What issued_leaf (tls-tools.sh) checks cert-manager's certificates against.
ca_trust="the CA certificates in key ${KAFKAC_CLUSTER_CA_TRUST_KEY:-} of Secret $trust_secret"
ca_trust_hint="That key must hold the certificate(s) of the CA your issuer signs with (spec.clusterCa.certManager.caCert)."

node_secret=$KAFKAC_NODE_CERT_SECRET
if [ -n "$trust_secret" ]; then copy_node_certificate; else issue_node_certificate; fi

if [ -n "${KAFKAC_EXPORTER_CERT_SECRET:-}" ]; then
  : "${KAFKAC_EXPORTER_SUBJECT:?}"
  exporter_certificate "$KAFKAC_EXPORTER_CERT_SECRET" "$KAFKAC_EXPORTER_SUBJECT"
fi

# The clients CA signs nothing here: KafkaUsers' certificates are issued by the
# users Job. The brokers trust it on listeners with `authentication: tls`.
if [ -n "${KAFKAC_CLIENTS_CA_TRUST_SECRET:-}" ]; then
  : "${KAFKAC_CLIENTS_CA_TRUST_KEY:?}"
  trust_ca "clients CA" clients "$KAFKAC_CLIENTS_CA_CERT_SECRET" "$KAFKAC_CLIENTS_CA_TRUST_SECRET" \
    "$KAFKAC_CLIENTS_CA_TRUST_KEY" clientsCa
else
  ensure_ca "clients CA" clients "$KAFKAC_CLIENTS_CA_SECRET" "$KAFKAC_CLIENTS_CA_CERT_SECRET" \
    "$KAFKAC_CLIENTS_CA_SUBJECT" "$KAFKAC_CLIENTS_CA_VALIDITY_DAYS" "$KAFKAC_CLIENTS_CA_RENEWAL_DAYS" \
    "$KAFKAC_CLIENTS_CA_GENERATE" clientsCa
fi

if [ -n "${KAFKAC_JMX_SECRET:-}" ]; then
  jmx_credentials "$KAFKAC_JMX_SECRET"
fi
rm -rf "$scratch"
