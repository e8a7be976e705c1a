#!/bin/bash
# Writes the Secrets that certs-issue.sh made, through the Kubernetes API.
#
# Last step of the certificates Job, in the kubectl image. Each Secret listed
# in $KAFKAC_WORK_DIR/new/order is created with `kubectl create`, which fails
# rather than overwrite a Secret that appeared meanwhile. The exceptions are a
# re-issued node or Kafka Exporter certificate and a renewed CA certificate (the
# CA's two Secrets): such a Secret is replaced with `kubectl replace` carrying
# the resourceVersion that was read, so a concurrent change makes it fail
# instead of being lost; annotations others put on it are kept, but for
# kafkac.io/force-renew, which the renewal answered. Labels come from
# $KAFKAC_SECRET_LABELS (JSON); the JMX Secret's labels and annotations from
# $KAFKAC_JMX_SECRET_METADATA (JSON: labels, annotations).
#
# The users Job runs it too, with $KAFKAC_SECRET_METADATA_FILE instead: a JSON
# object of each Secret's labels and annotations, by Secret name. It replaces a
# TLS user's Secret whose certificate was re-issued or whose ca.crt was renewed.
set -euo pipefail

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}"
log_name=${KAFKAC_LOG_PREFIX:-certificates}
. "${0%/*}/log.sh"
if [ -z "${KAFKAC_SECRET_METADATA_FILE:-}" ]; then
  : "${KAFKAC_SECRET_LABELS:?}"
  : "${KAFKAC_CLUSTER_CA_CERT_SECRET:?}" "${KAFKAC_CLUSTER_CA_SECRET:?}"
  : "${KAFKAC_CLIENTS_CA_CERT_SECRET:?}" "${KAFKAC_CLIENTS_CA_SECRET:?}"
fi

new=$KAFKAC_WORK_DIR/new
umask 077

# The annotations of the Secret as certs-fetch.sh read it.
annotations_read() { # Secret
  local file=$KAFKAC_WORK_DIR/existing/$1/annotations.json
  [ -s "$file" ] || { file=$KAFKAC_WORK_DIR/no-annotations.json; echo '{}' > "$file"; }
  echo "$file"
}

# A generation annotation of the Secret as it was read; 0 when absent or not a number.
read_generation() { # Secret, annotation
  local value
  value=$(jq -r --arg key "$2" '.[$key] // "0"' "$(annotations_read "$1")")
  [[ $value =~ ^[0-9]+$ ]] || value=0
  echo "$value"
}

if [ ! -s "$new/order" ]; then
  log "every Secret exists and is current; nothing to write"
  exit 0
fi

while IFS= read -r name; do
  dir=$new/$name
  action=$(cat "$dir/action")
  manifest=$KAFKAC_WORK_DIR/$name.json
  if [ -n "${KAFKAC_SECRET_METADATA_FILE:-}" ]; then
    labels=$(jq --arg name "$name" '.[$name].labels // {}' "$KAFKAC_SECRET_METADATA_FILE")
    annotations=$(jq --arg name "$name" '.[$name].annotations // {}' "$KAFKAC_SECRET_METADATA_FILE")
  else
    labels=$KAFKAC_SECRET_LABELS
    # Strimzi's generation annotations, so tools written for it read these
    # Secrets: a renewed CA certificate is the next generation, of the same key.
    case $name in
      "$KAFKAC_CLUSTER_CA_CERT_SECRET"|"$KAFKAC_CLIENTS_CA_CERT_SECRET")
        generation=0
        [ "$action" = create ] || generation=$(($(read_generation "$name" strimzi.io/ca-cert-generation) + 1))
        annotations=$(jq -n --arg g "$generation" '{"strimzi.io/ca-cert-generation": $g}') ;;
      "$KAFKAC_CLUSTER_CA_SECRET"|"$KAFKAC_CLIENTS_CA_SECRET")
        generation=0
        [ "$action" = create ] || generation=$(read_generation "$name" strimzi.io/ca-key-generation)
        annotations=$(jq -n --arg g "$generation" '{"strimzi.io/ca-key-generation": $g}') ;;
      "${KAFKAC_JMX_SECRET:-}")
        : "${KAFKAC_JMX_SECRET_METADATA:?}"
        labels=$(jq '.labels' <<< "$KAFKAC_JMX_SECRET_METADATA")
        annotations=$(jq '.annotations' <<< "$KAFKAC_JMX_SECRET_METADATA") ;;
      *) annotations='{}' ;;
    esac
  fi
  jq -n --arg name "$name" --arg namespace "$KAFKAC_NAMESPACE" \
    --argjson labels "$labels" --argjson annotations "$annotations" \
    '{apiVersion: "v1", kind: "Secret", type: "Opaque",
      metadata: {name: $name, namespace: $namespace, labels: $labels, annotations: $annotations},
      data: {}}' > "$manifest"
  for file in "$dir"/data/*; do
    jq --arg key "${file##*/}" --arg value "$(base64 --wrap=0 < "$file")" '.data[$key] = $value' \
      "$manifest" > "$manifest.next"
    mv "$manifest.next" "$manifest"
  done
  case $action in
    create)
      log_run kubectl create --filename "$manifest"
      ;;
    replace)
      # Annotations others put on the Secret stay; the request to renew is done.
      jq --arg version "$(cat "$dir/resourceVersion")" --slurpfile read "$(annotations_read "$name")" \
        '.metadata.resourceVersion = $version
         | .metadata.annotations = ($read[0] | del(.["kafkac.io/force-renew"])) + .metadata.annotations' \
        "$manifest" > "$manifest.next"
      mv "$manifest.next" "$manifest"
      log_run kubectl replace --filename "$manifest"
      if [ -n "${KAFKAC_SECRET_METADATA_FILE:-}" ]; then
        log "Secret $name was updated; the user's clients must load it again (restart them," \
          "or have them reload their key and trust stores) to use the new certificate"
      elif [ "$name" = "${KAFKAC_EXPORTER_CERT_SECRET:-}" ]; then
        log "Secret $name was updated; restart Kafka Exporter for it to use the new" \
          "certificate (see the README, section Certificates)"
      else
        log "Secret $name was updated; restart the Kafka pods, one pool after the" \
          "other, for them to use the new certificate (see the README, section Certificates)"
      fi
      ;;
    *)
      fail "unknown action $action for Secret $name"
      ;;
  esac
  rm -f "$manifest"
done < "$new/order"
