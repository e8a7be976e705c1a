#!/bin/bash
# Stores what the topics Job applied: the record step of the topics Job.
#
# The sync step wrote the new record of the topics into
# $KAFKAC_WORK_DIR/state-<i>.jsonl and its outcome into $KAFKAC_WORK_DIR/status.
# This step writes each record into its ConfigMap, the i-th of
# $KAFKAC_STATE_CONFIGMAPS (the chart creates them empty; the Job's Role may
# only get and patch these), and leaves a ConfigMap alone when its record is
# unchanged. It then ends the Job: 0 when everything was applied, 3 when a
# change was refused (the Job is not retried: the spec must change), 1 when a
# change failed (the Job is retried).
set -euo pipefail

: "${KAFKAC_WORK_DIR:?}" "${KAFKAC_NAMESPACE:?}" "${KAFKAC_STATE_CONFIGMAPS:?}" "${KAFKAC_TOPICS_DIR:?}"
work=$KAFKAC_WORK_DIR
log_name=kafkac-topics
. "${0%/*}/log.sh"
status=$(cat "$work/status")

digest() {
  if [ -f "$1" ]; then sha256sum < "$1"; else echo absent; fi
}

i=0
for name in $KAFKAC_STATE_CONFIGMAPS; do
  new="$work/state-$i.jsonl"
  old="$KAFKAC_TOPICS_DIR/state/$i/state.jsonl"
  if [ "$(digest "$new")" == "$(digest "$old")" ]; then
    log "ConfigMap $name: the record is unchanged"
  else
    jq --null-input --rawfile record "$new" '{data: {"state.jsonl": $record}}' > "$work/patch-$i.json"
    log_run kubectl patch configmap "$name" --namespace "$KAFKAC_NAMESPACE" --type merge \
      --patch-file "$work/patch-$i.json"
  fi
  i=$((i + 1))
done

case $status in
  ok) exit 0 ;;
  refused) log_error "some changes were refused; see the sync step's report"; exit 3 ;;
  *) fail "some changes failed; see the sync step's report" ;;
esac
