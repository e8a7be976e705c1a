#!/bin/bash
# Asks cert-manager for the certificates of a CA of type cert-manager.io, and
# waits until it has issued them.
#
# First step of the certificates Job (and of the users Job) when a CA is of
# type cert-manager.io, in the kubectl image. $KAFKAC_CERTIFICATES_FILE holds
# the cert-manager Certificates as a JSON list, rendered by the chart. Each one
# is created when absent, replaced (at the resourceVersion read) when the spec
# the chart asks for differs from the one in the cluster, and else left alone:
# running the Job again, or rendering the chart again, changes nothing, so
# cert-manager issues nothing new. Then it waits, at most
# $KAFKAC_CERT_MANAGER_WAIT_SECONDS in all, for every Certificate to be Ready
# for its current spec; cert-manager then has written the certificate into
# the Certificate's spec.secretName, which certs-fetch.sh reads next.
# The Certificates are the Job's, not Helm's: Helm never deletes them, so an
# upgrade never makes cert-manager issue anew.
set -euo pipefail

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}" "${KAFKAC_CERTIFICATES_FILE:?}"
: "${KAFKAC_CERT_MANAGER_WAIT_SECONDS:?}"
log_name=${KAFKAC_LOG_PREFIX:-certificates}
. "${0%/*}/log.sh"
[[ $KAFKAC_CERT_MANAGER_WAIT_SECONDS =~ ^[0-9]+$ ]] || fail "KAFKAC_CERT_MANAGER_WAIT_SECONDS must be a number"

kind=certificates.cert-manager.io
umask 077
requested=$KAFKAC_WORK_DIR/requested
rm -rf "$requested"
mkdir -p "$requested"

get_certificate() { # name
  kubectl get "$kind" "$1" --namespace "$KAFKAC_NAMESPACE" --ignore-not-found --output json \
    2> "$KAFKAC_WORK_DIR/kubectl.err" || {
    log_error "cannot read Certificate $1 (is cert-manager installed?):"
    log_tail ERROR "$KAFKAC_WORK_DIR/kubectl.err"
    exit 1
  }
}

count=$(jq 'length' "$KAFKAC_CERTIFICATES_FILE")
for ((i = 0; i < count; i++)); do
  name=$(jq -r ".[$i].metadata.name" "$KAFKAC_CERTIFICATES_FILE")
  manifest=$requested/$name.json
  jq ".[$i]" "$KAFKAC_CERTIFICATES_FILE" > "$manifest"
  existing=$(get_certificate "$name")
  if [ -z "$existing" ]; then
    log_run kubectl create --filename "$manifest"
    log "Certificate $name: created; cert-manager issues it into Secret $(jq -r '.spec.secretName' "$manifest")"
    continue
  fi
  # Only the fields the chart sets are compared: cert-manager and admission may add others.
  if jq -e --argjson existing "$existing" \
      '. as $wanted | [$wanted.spec | keys[]] | map({(.): $existing.spec[.]}) | add == $wanted.spec
       and ($wanted.metadata.labels | to_entries | all(. as $l | $existing.metadata.labels[$l.key] == $l.value))' \
      "$manifest" > /dev/null; then
    log "Certificate $name: kept (its spec is the one the chart asks for)"
    continue
  fi
  jq --arg version "$(jq -r '.metadata.resourceVersion' <<< "$existing")" '.metadata.resourceVersion = $version' \
    "$manifest" > "$manifest.next"
  mv "$manifest.next" "$manifest"
  log_run kubectl replace --filename "$manifest"
  log "Certificate $name: updated to the spec the chart asks for; cert-manager issues it anew"
done

# Ready, for the spec that is in the cluster now: cert-manager's Ready condition
# names the generation it was computed for.
deadline=$((SECONDS + KAFKAC_CERT_MANAGER_WAIT_SECONDS))
for ((i = 0; i < count; i++)); do
  name=$(jq -r ".[$i].metadata.name" "$KAFKAC_CERTIFICATES_FILE")
  while :; do
    json=$(get_certificate "$name")
    [ -n "$json" ] || fail "Certificate $name disappeared while the Job waited for it"
    ready=$(jq -r '.metadata.generation as $g
      | [.status.conditions[]? | select(.type == "Ready" and .status == "True"
                                         and (.observedGeneration // $g) >= $g)] | length' <<< "$json")
    if [ "$ready" -gt 0 ]; then
      log "Certificate $name: Ready"
      break
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      why=$(jq -r '[.status.conditions[]? | select(.type == "Ready") | "\(.reason // ""): \(.message // "")"]
                   | first // "no Ready condition yet"' <<< "$json")
      fail "Certificate $name is not Ready after ${KAFKAC_CERT_MANAGER_WAIT_SECONDS}s ($why). Check that" \
        "cert-manager runs and that $(jq -r '.spec.issuerRef.kind' <<< "$json")" \
        "$(jq -r '.spec.issuerRef.name' <<< "$json") exists and is Ready:" \
        "kubectl describe certificate $name --namespace $KAFKAC_NAMESPACE"
    fi
    sleep 2
  done
done
rm -rf "$requested"
