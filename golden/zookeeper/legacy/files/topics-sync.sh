#!/bin/sh
# Creates and updates the topics of a kafkac chart: the sync step of the topics Job.
#
# For every topic of the spec it compares three versions: the spec, what this
# Job applied last time (its record), and the topic as it is in Kafka. Per
# setting (partitions, replicas, each config option):
#
#   spec = record, Kafka the same     nothing to do
#   spec = record, Kafka differs      someone changed it in Kafka: kept, reported
#   spec changed, Kafka = record      the spec's change is applied
#   spec changed, Kafka = spec        already done: nothing to do
#   spec changed, Kafka differs       a conflict: the spec is applied, reported
#
# A topic that does not exist is created as the spec says. A topic is never
# deleted. What Kafka cannot do (fewer partitions, a different replication
# factor) is refused with a message, and the rest of the work goes on.
#
# Inputs, all of them data (read line by line; nothing is ever evaluated):
#   $KAFKAC_TOPICS_DIR/spec/<i>/topics.jsonl   the topics, one JSON object a
#       line as kafkac wrote them: {"name":..,"partitions":..,"replicas":..,"config":{..}}
#   $KAFKAC_TOPICS_DIR/state/<i>/state.jsonl   the record of the last run, in the
#       same form (absent before the first run)
#   the Kafka client settings ($KAFKAC_BOOTSTRAP_SERVERS, $KAFKAC_CLIENT_PROPERTIES,
#       $KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE)
# Outputs, in $KAFKAC_WORK_DIR, for the record step: state-<i>.jsonl (the new
# record) and status (ok, refused or failed). The report goes to standard
# output: one line per change for a person, then one line of JSON for machines.
#
# This step exits 0 once it has written the new record, even when some topic
# was refused or failed, so that the record step keeps what was done; the
# record step then ends the Job with the status. It exits non-zero only when it
# could not get that far (the cluster never answered, a data file is broken).
set -eu

: "${KAFKAC_BOOTSTRAP_SERVERS:?}" "${KAFKAC_TOPICS_DIR:?}" "${KAFKAC_WORK_DIR:?}"
: "${KAFKAC_TOPICS_SHARDS:?}" "${KAFKAC_CLIENT_DIR:?}"
work=$KAFKAC_WORK_DIR
parallelism=${KAFKAC_PARALLELISM:-4}
need_brokers=${KAFKAC_MAX_REPLICAS:-1}

files=${0%/*}
log_name=kafkac-topics
. "${0%/*}/log.sh"

# A small, quick tool JVM; $kafka_home, $wait_seconds, $tab; kafka_client_settings,
# kafka_configs, tool_error.
. "$files/kafka-tools.sh"

mkdir -p "$work/actions"
rm -f "$work"/state-*.jsonl "$work/status" "$work"/actions/*

kafka_client_settings

kafka_topics() {
  "$kafka_home/bin/kafka-topics.sh" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" --command-config "$client" "$@"
}

# --- wait for the cluster: answering, with enough brokers for the widest topic ----------
enough_for_the_topics() { # endpoints file
  ready=$(broker_count "$1")
  if [ "$ready" -ge "$need_brokers" ]; then
    log "the cluster answers, with $ready brokers registered and unfenced"
    return 0
  fi
  problem="$ready of the $need_brokers brokers the topics need are registered and unfenced"
  return 1
}
wait_for_cluster "$work/endpoints.out" enough_for_the_topics

# --- what is in Kafka --------------------------------------------------------------------
if ! kafka_topics --describe --exclude-internal > "$work/live-topics.txt" 2> "$work/live-topics.err"; then
  log_error "cannot describe the topics: $(tool_error "$work/live-topics.err")"
  log_tail ERROR "$work/live-topics.err"
  exit 1
fi
if ! kafka_configs --describe --entity-type topics > "$work/live-configs.txt" 2> "$work/live-configs.err"; then
  log_error "cannot describe the topics' configs: $(tool_error "$work/live-configs.err")"
  log_tail ERROR "$work/live-configs.err"
  exit 1
fi

# --- the three-way comparison (topics-compare.awk) ----------------------------------------
set --
shard=0
while [ "$shard" -lt "$KAFKAC_TOPICS_SHARDS" ]; do
  spec_file="$KAFKAC_TOPICS_DIR/spec/$shard/topics.jsonl"
  [ -f "$spec_file" ] || fail "$spec_file is missing"
  set -- "$@" kind=spec "shard=$shard" "$spec_file"
  shard=$((shard + 1))
done
for state_file in "$KAFKAC_TOPICS_DIR"/state/*/state.jsonl; do
  if [ -f "$state_file" ]; then set -- "$@" kind=state "$state_file"; fi
done
set -- "$@" kind=topics "$work/live-topics.txt" kind=configs "$work/live-configs.txt"
# An awk step; what it could not read becomes ERROR events, and its exit code the script's.
run_awk() { # awk's arguments: the programs (-f) and their inputs
  awk_code=0
  awk "$@" 2> "$work/awk.err" || awk_code=$?
  while IFS= read -r text; do log_error "$text"; done < "$work/awk.err"
  if [ "$awk_code" -ne 0 ]; then exit "$awk_code"; fi
}
run_awk -f "$files/topics-json.awk" -f "$files/topics-compare.awk" work="$work" "$@"

# --- the actions, a few at a time (each tool run is a JVM) -----------------------------
# actions.tsv: id, topic, create|update, partitions, replicas, raise-to, options to
# delete (comma-separated), topic pattern (the name as kafka-topics.sh --alter reads it).
run_action() { # id topic kind partitions replicas raise deletes pattern
  base="$work/actions/$1" topic=$2 kind=$3 partitions=$4 replicas=$5 raise=$6 deletes=$7 pattern=$8
  if [ "$kind" = create ]; then
    set -- --create --topic "$topic" --partitions "$partitions" --replication-factor "$replicas"
    while IFS= read -r config; do
      set -- "$@" --config "$config"
    done < "$base.create"
    kafka_topics "$@" || return 1
  fi
  if [ "$raise" != - ]; then
    kafka_topics --alter --topic "$pattern" --partitions "$raise" || return 1
  fi
  if [ -s "$base.add" ] || [ "$deletes" != - ]; then
    set -- --alter --entity-type topics --entity-name "$topic"
    if [ -s "$base.add" ]; then set -- "$@" --add-config-file "$base.add"; fi
    if [ "$deletes" != - ]; then set -- "$@" --delete-config "$deletes"; fi
    kafka_configs "$@" || return 1
  fi
}

run_one() { # the fields of one action line
  printf '%s\n' "$2" > "$work/actions/$1.topic"
  if run_action "$@" > "$work/actions/$1.log" 2>&1 < /dev/null; then
    printf '%s\tok\t-\n' "$1" > "$work/actions/$1.result"
  else
    printf '%s\tfailed\t%s\n' "$1" "$(tool_error "$work/actions/$1.log")" > "$work/actions/$1.result"
  fi
}

running=0
while IFS="$tab" read -r id topic kind partitions replicas raise deletes pattern; do
  run_one "$id" "$topic" "$kind" "$partitions" "$replicas" "$raise" "$deletes" "$pattern" &
  running=$((running + 1))
  if [ "$running" -ge "$parallelism" ]; then
    wait
    running=0
  fi
done < "$work/actions.tsv"
wait

: > "$work/results.tsv"
for result in "$work"/actions/*.result; do
  if [ -f "$result" ]; then cat "$result" >> "$work/results.tsv"; fi
done
# The whole output of a failed tool run, for a person to read.
while IFS="$tab" read -r id outcome message; do
  if [ "$outcome" = failed ]; then
    log_warn "topic $(cat "$work/actions/$id.topic"): the Kafka tool failed:"
    grep -v '^[[:space:]]*at ' "$work/actions/$id.log" > "$work/actions/$id.shown" || true
    log_tail WARN "$work/actions/$id.shown"
  fi
done < "$work/results.tsv"

# --- the report and the new record (topics-report.awk) ---------------------------------------
set -- kind=results "$work/results.tsv" kind=events "$work/events.tsv"
for state_file in "$KAFKAC_TOPICS_DIR"/state/*/state.jsonl; do
  if [ -f "$state_file" ]; then set -- "$@" kind=state "$state_file"; fi
done
set -- "$@" kind=next "$work/next-state.tsv"
run_awk -f "$files/topics-json.awk" -f "$files/topics-report.awk" work="$work" shards="$KAFKAC_TOPICS_SHARDS" "$@" > "$work/report.txt"
# The report, in order, on stdout: a line's level says what it tells.
while IFS= read -r text; do
  case $text in
    *": FAILED: "*) level=ERROR ;;
    *": REFUSED: "*|*": KEPT: "*|*": CONFLICT on "*) level=WARN ;;
    *) level=INFO ;;
  esac
  log_line "$level" "$text"
done < "$work/report.txt"
