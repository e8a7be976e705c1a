#!/bin/bash
# Reads the certificate Secrets that already exist, for certs-issue.sh.
#
# First step of the certificates Job, in the kubectl image. For each Secret
# named in the environment that exists in the namespace, writes its keys into
# $KAFKAC_WORK_DIR/existing/<secret>/data/<key> (decoded), its resourceVersion
# into <secret>/resourceVersion, its annotations into <secret>/annotations.json,
# and an empty <secret>/force-renew when it carries the annotation
# kafkac.io/force-renew=true. An absent Secret leaves
# no folder. Any error other than "not found" (no right to read, no API
# server) fails the Job: nothing is created from a guess.
#
# The users Job runs it too, with the Secrets to read in $KAFKAC_FETCH_SECRETS
# (names separated by spaces) instead of the certificate Secrets. Both add
# those in $KAFKAC_CERT_MANAGER_SECRETS (CAs of type cert-manager.io).
#
# For the node certificate, it also reads the addresses the platform gave the
# listeners' objects: the load balancer IPs or host names of the Services in
# $KAFKAC_ADDRESS_SERVICES and the hosts of the Routes in $KAFKAC_ADDRESS_ROUTES
# (OpenShift's, for routes without a host in the spec), one per line, into
# $KAFKAC_WORK_DIR/existing/addresses. An object that does not exist yet (a
# first install: the Job runs before them) adds nothing.
set -euo pipefail

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}"
log_name=${KAFKAC_LOG_PREFIX:-certificates}
. "${0%/*}/log.sh"
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
  # The JMX credentials, with spec.kafka.jmxOptions.authentication.
  if [ -n "${KAFKAC_JMX_SECRET:-}" ]; then
    secrets+=("$KAFKAC_JMX_SECRET")
  fi
fi
# With a CA of type cert-manager.io: the Secrets cert-manager wrote and the CA
# certificates to trust.
read -r -a cert_manager_secrets <<< "${KAFKAC_CERT_MANAGER_SECRETS:-}"
secrets+=("${cert_manager_secrets[@]}")

existing=$KAFKAC_WORK_DIR/existing
umask 077
rm -rf "$existing"
mkdir -p "$existing"

for name in "${secrets[@]}"; do
  if ! json=$(kubectl get secret "$name" --namespace "$KAFKAC_NAMESPACE" --ignore-not-found --output json \
      2> "$KAFKAC_WORK_DIR/kubectl.err"); then
    log_error "cannot read Secret $name:"
    log_tail ERROR "$KAFKAC_WORK_DIR/kubectl.err"
    exit 1
  fi
  if [ -z "$json" ] || [ "$(jq -r '.kind' <<< "$json")" != Secret ]; then
    log "Secret $name does not exist"
    continue
  fi
  dir=$existing/$name
  mkdir -p "$dir/data"
  jq -r '.metadata.resourceVersion' <<< "$json" > "$dir/resourceVersion"
  jq '.metadata.annotations // {}' <<< "$json" > "$dir/annotations.json"
  if [ "$(jq -r '.metadata.annotations["kafkac.io/force-renew"] // ""' <<< "$json")" = true ]; then
    touch "$dir/force-renew"
  fi
  while IFS= read -r key; do
    # Kubernetes allows only these characters in a Secret's keys.
    [[ $key =~ ^[-._a-zA-Z0-9]+$ ]] || { fail "Secret $name has a key $key"; }
    jq -r --arg key "$key" '.data[$key]' <<< "$json" | base64 --decode > "$dir/data/$key"
  done < <(jq -r '.data // {} | keys[]' <<< "$json")
  log "Secret $name exists (keys: $(jq -r '.data // {} | keys | join(", ")' <<< "$json"))"
done

# Prints the addresses the jq filter finds in an object, one per line (its log
# line goes to stderr: stdout is the list).
object_addresses() { # kind, name, jq filter
  local json
  json=$(kubectl get "$1" "$2" --namespace "$KAFKAC_NAMESPACE" --ignore-not-found --output json)
  if [ -z "$json" ]; then
    log "$1 $2 does not exist yet: no address of it in the node certificate" >&2
    return
  fi
  jq -r "$3" <<< "$json"
}

: > "$existing/addresses"
for name in ${KAFKAC_ADDRESS_SERVICES:-}; do
  object_addresses service "$name" '.status.loadBalancer.ingress[]? | (.ip // .hostname // empty)' \
    >> "$existing/addresses"
done
for name in ${KAFKAC_ADDRESS_ROUTES:-}; do
  object_addresses route "$name" '(.spec.host // empty), (.status.ingress[]? | .host // empty)' \
    >> "$existing/addresses"
done
if [ -s "$existing/addresses" ]; then
  log "addresses of the listeners' Services and Routes: $(sort -u "$existing/addresses" | tr '\n' ' ')"
fi
