#!/bin/bash
# Reads the certificate Secrets that already exist, for certs-issue.sh.
#
# First step of the certificates Job, in the kubectl image. For each Secret
# named in the environment that exists in the namespace, writes its keys into
# $KAFKAC_WORK_DIR/existing/<secret>/data/<key> (decoded), its resourceVersion
# into <secret>/resourceVersion, and an empty <secret>/force-renew when it
# carries the annotation kafkac.io/force-renew=true. An absent Secret leaves
# no folder. Any error other than "not found" (no right to read, no API
# server) fails the Job: nothing is created from a guess.
#
# The users Job runs it too, with the Secrets to read in $KAFKAC_FETCH_SECRETS
# (names separated by spaces) instead of the certificate Secrets.
set -euo pipefail

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}"
log_prefix=${KAFKAC_LOG_PREFIX:-certificates}
if [ -n "${KAFKAC_FETCH_SECRETS:-}" ]; then
  read -r -a secrets <<< "$KAFKAC_FETCH_SECRETS"
else
  : "${KAFKAC_CLUSTER_CA_CERT_SECRET:?}" "${KAFKAC_CLUSTER_CA_SECRET:?}" "${KAFKAC_NODE_CERT_SECRET:?}"
  : "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}" "${KAFKAC_CLIENTS_CA_SECRET:?}"
  secrets=("$KAFKAC_CLUSTER_CA_SECRET" "$KAFKAC_CLUSTER_CA_CERT_SECRET" "$KAFKAC_NODE_CERT_SECRET"
           "$KAFKAC_CLIENTS_CA_SECRET" "$KAFKAC_CLIENTS_CA_CERT_SECRET")
  # Kafka Exporter's certificate, when the cluster runs it.
  if [ -n "${KAFKAC_EXPORTER_CERT_SECRET:-}" ]; then
    secrets+=("$KAFKAC_EXPORTER_CERT_SECRET")
  fi
fi

existing=$KAFKAC_WORK_DIR/existing
umask 077
rm -rf "$existing"
mkdir -p "$existing"

for name in "${secrets[@]}"; do
  json=$(kubectl get secret "$name" --namespace "$KAFKAC_NAMESPACE" --ignore-not-found --output json)
  if [ -z "$json" ] || [ "$(jq -r '.kind' <<< "$json")" != Secret ]; then
    echo "$log_prefix: Secret $name does not exist"
    continue
  fi
  dir=$existing/$name
  mkdir -p "$dir/data"
  jq -r '.metadata.resourceVersion' <<< "$json" > "$dir/resourceVersion"
  if [ "$(jq -r '.metadata.annotations["kafkac.io/force-renew"] // ""' <<< "$json")" = true ]; then
    touch "$dir/force-renew"
  fi
  while IFS= read -r key; do
    # Kubernetes allows only these characters in a Secret's keys.
    [[ $key =~ ^[-._a-zA-Z0-9]+$ ]] || { echo "$log_prefix: error: Secret $name has a key $key" >&2; exit 1; }
    jq -r --arg key "$key" '.data[$key]' <<< "$json" | base64 --decode > "$dir/data/$key"
  done < <(jq -r '.data // {} | keys[]' <<< "$json")
  echo "$log_prefix: Secret $name exists (keys: $(jq -r '.data // {} | keys | join(", ")' <<< "$json"))"
done
