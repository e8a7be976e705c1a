#!/bin/sh
# Moves partition replicas with Kafka's own partition reassignment: the rebalance Jobs of a kafkac chart.
#
# $KAFKAC_REBALANCE_PHASE says which:
#   drain  (pre-upgrade) every replica on a broker the chart no longer has (its
#          node id is not in $KAFKAC_REBALANCE_KEEP) moves to the brokers that
#          stay, before Helm shrinks the StatefulSets. When that is impossible
#          (a topic's replication factor above the brokers that stay, a broker
#          to drain that does not answer) it fails naming the topics and
#          changes nothing, so the upgrade changes nothing either.
#   grow   (post-upgrade) brokers of the chart that hold less than half their
#          share (a scale-up's) get their share of replicas and preferred leaders;
#          then every KafkaRebalance in $KAFKAC_REBALANCE_DIR/requests.tsv
#          (name, mode, brokers, approved, throttle; its excluded topics in
#          exclude-<name>) is planned, its proposal printed, and, if approved,
#          executed.
#          Before that, in a dynamic KRaft quorum ($KAFKAC_CONTROLLER_QUORUM),
#          every voter whose node id is not among the chart's controllers
#          ($KAFKAC_CONTROLLER_IDS) is removed from the quorum, one at a time,
#          once it has stopped (a running controller would join again).
#
# Every move is throttled ($KAFKAC_REBALANCE_THROTTLE bytes per second, or
# the request's), waited for with --verify, which also removes the throttle
# once it completes; then the preferred leaders are elected. A run that finds
# a reassignment in progress (a previous run's pod was stopped) waits for it
# to complete and removes its throttle before it plans anything: restarting
# the Job resumes the move. The plan (rebalance-plan.awk) gives the same moves
# for the same cluster, so a second run moves nothing.
#
# Exit codes: 0 done, 3 refused (the Job must not retry: nothing changes until
# the spec does), 1 anything else (the Job retries).
set -eu

: "${KAFKAC_BOOTSTRAP_SERVERS:?}" "${KAFKAC_WORK_DIR:?}" "${KAFKAC_CLIENT_DIR:?}" "${KAFKAC_REBALANCE_PHASE:?}"
work=$KAFKAC_WORK_DIR
poll_seconds=${KAFKAC_POLL_SECONDS:-5}
keep=${KAFKAC_REBALANCE_KEEP:-}
skip=${KAFKAC_REBALANCE_SKIP:-}

files=${0%/*}
log_name=kafkac-rebalance
. "${0%/*}/log.sh"

# A small, quick tool JVM; $kafka_home, $wait_seconds, $tab; kafka_client_settings,
# list_brokers, tool_error.
. "$files/kafka-tools.sh"

mkdir -p "$work"
kafka_client_settings

kafka_tool() { # tool, arguments; the client settings are the last argument's value
  tool=$1
  shift
  "$kafka_home/bin/$tool" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" "$@"
}
reassign() { kafka_tool kafka-reassign-partitions.sh --command-config "$client" "$@"; }

# Runs a tool into $work/<name>.out; on failure logs its error and exits 1.
must() { # name, tool, arguments
  name=$1
  shift
  if ! "$@" > "$work/$name.out" 2>&1 < /dev/null; then
    log_error "$name failed: $(tool_error "$work/$name.out")"
    log_tail ERROR "$work/$name.out"
    exit 1
  fi
}

# --- the brokers that answer: all of the chart's, or (draining) at least one -----------
wait_for_brokers() { # how many of $keep must answer
  need=$1
  wait_for_cluster "$work/brokers.out" enough_of_the_chart_brokers
}
enough_of_the_chart_brokers() { # brokers file
  answering=$(awk -v keep=" $keep " 'match($0, /\(id: [0-9]+ /) {
      id = substr($0, RSTART + 5, RLENGTH - 6); if (index(keep, " " id " ")) n[id] = 1 }
    END { c = 0; for (i in n) c++; print c }' "$1")
  if [ "$answering" -ge "$need" ]; then
    log "the cluster answers, with $answering of the chart's brokers ($keep)"
    return 0
  fi
  problem="$answering of the $need brokers needed answer"
  return 1
}

# --- waiting for a reassignment, which removes its throttle when it completes ---------
verify_until_done() { # reassignment file, what it is
  while :; do
    must verify reassign --verify --reassignment-json-file "$1"
    waiting=$(grep -c 'is still in progress' "$work/verify.out" || true)
    if [ "$waiting" -eq 0 ]; then break; fi
    log "$2: $waiting partitions still moving; next look in ${poll_seconds}s"
    sleep "$poll_seconds"
  done
  grep 'There is no active reassignment' "$work/verify.out" | while IFS= read -r text; do
    log_warn "$2: $text"
  done
  grep '^Clearing' "$work/verify.out" | while IFS= read -r text; do log "$2: $text"; done
  log "$2: complete"
}

# A reassignment in progress when the run starts: a previous run's, whose pod stopped.
resume_in_progress() {
  must list reassign --list
  if grep -q 'No partition reassignments found' "$work/list.out"; then return 0; fi
  # "<topic>-<partition>: replicas: 1,2,3. adding: 3. removing: 1." -> its target replicas
  awk 'BEGIN { printf "{\"version\":1,\"partitions\":[" }
    / replicas: / {
      name = $1; sub(/:$/, "", name)
      partition = name; sub(/^.*-/, "", partition); topic = substr(name, 1, length(name) - length(partition) - 1)
      replicas = $0; sub(/^.* replicas: /, "", replicas); sub(/\..*$/, "", replicas); gsub(/ /, "", replicas)
      removing = ""
      if (match($0, /removing: [0-9, ]+/)) { removing = substr($0, RSTART + 10, RLENGTH - 10); gsub(/ /, "", removing) }
      n = split(replicas, r, ","); target = ""
      for (i = 1; i <= n; i++) if (index("," removing ",", "," r[i] ",") == 0) target = target (target == "" ? "" : ",") r[i]
      printf "%s{\"topic\":\"%s\",\"partition\":%s,\"replicas\":[%s]}", (count++ ? "," : ""), topic, partition, target
    }
    END { printf "]}\n" }' "$work/list.out" > "$work/in-progress.json"
  log "a reassignment is in progress (a previous run stopped): waiting for it before planning"
  log_tail INFO "$work/list.out"
  verify_until_done "$work/in-progress.json" "the reassignment in progress"
}

# --- planning -----------------------------------------------------------------------------
plan() { # mode, brokers (of a request); sets moves, summary
  set -- mode="$1" brokers="$2" keep="$keep" skip="$skip" work="$work" \
    kind=brokers "$work/brokers.out" kind=describe "$work/describe.out"
  if [ -s "$work/sizes.out" ]; then set -- "$@" kind=sizes "$work/sizes.out"; fi
  awk -f "$files/rebalance-plan.awk" "$@" 2> "$work/plan.err" || {
    while IFS= read -r text; do log_error "$text"; done < "$work/plan.err"
    exit 1
  }
  summary=$(cat "$work/summary")
  moves=${summary#moves=}
  moves=${moves%% *}
}

# Describes the cluster and plans; with moves to make, asks the brokers for the
# partitions' sizes and plans again for the proposal's bytes.
describe_and_plan() { # mode, brokers
  rm -f "$work/sizes.out"
  must describe kafka_tool kafka-topics.sh --command-config "$client" --describe
  plan "$1" "$2"
  if [ "$moves" -gt 0 ]; then
    if kafka_tool kafka-log-dirs.sh --command-config "$client" --describe > "$work/sizes.out" 2>&1 < /dev/null; then
      plan "$1" "$2"
    else
      log_warn "the partitions' sizes are unknown: $(tool_error "$work/sizes.out")"
      rm -f "$work/sizes.out"
    fi
  fi
}

print_proposal() { # what
  log "$1: $summary"
  while IFS= read -r text; do log "$1:   $text"; done < "$work/proposal.txt"
}

refuse_if_impossible() { # what
  if [ -s "$work/impossible.txt" ]; then
    while IFS="$tab" read -r topic why; do
      log_error "$1: topic $topic cannot move: $why"
    done < "$work/impossible.txt"
    topics=$(cut -f 1 "$work/impossible.txt" | tr '\n' ' ')
    log_error "$1: refused, nothing was moved; topics that cannot move: ${topics% }"
    exit 3
  fi
}

execute() { # what, throttle
  cp "$work/reassignment.json" "$work/executing.json"
  must execute reassign --execute --reassignment-json-file "$work/executing.json" --throttle "$2"
  log "$1: started, replication throttled to $2 bytes/s"
  verify_until_done "$work/executing.json" "$1"
  if kafka_tool kafka-leader-election.sh --admin.config "$client" --election-type PREFERRED \
      --all-topic-partitions > "$work/election.out" 2>&1 < /dev/null; then
    log "$1: preferred leaders elected"
  else
    log_warn "$1: the preferred leader election did not complete: $(tool_error "$work/election.out")"
  fi
}

# --- the voters of a dynamic controller quorum -----------------------------------------------
quorum_tool() { kafka_tool kafka-metadata-quorum.sh --command-config "$client" "$@"; }

# The first voter, "<id> <directory id>", that is not a controller of the chart, from
# describe --status: CurrentVoters: [{"id": 3, "directoryId": "...", "endpoints": [...]}, ...]
voter_to_remove() {
  awk -v keep=" ${KAFKAC_CONTROLLER_IDS:-} " '$1 == "CurrentVoters:" {
      rest = $0
      while (match(rest, /"id": [0-9]+, "directoryId": "[^"]*"/)) {
        voter = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
        id = voter; sub(/^"id": /, "", id); sub(/,.*$/, "", id)
        directory = voter; sub(/^.*"directoryId": "/, "", directory); sub(/"$/, "", directory)
        if (!index(keep, " " id " ")) { print id, directory; exit }
      }
    }' "$work/quorum.out"
}

# Waits until voter $1 has not fetched from the quorum leader for $KAFKAC_CONTROLLER_GONE_MS
# (its pod stopped). describe --replication: NodeId DirectoryId LogEndOffset Lag
# LastFetchTimestamp LastCaughtUpTimestamp Status.
wait_until_stopped() { # id
  deadline=$(( $(date +%s) + wait_seconds ))
  while :; do
    must replication quorum_tool describe --replication
    if awk -v id="$1" -v gone="${KAFKAC_CONTROLLER_GONE_MS:-10000}" '
        $NF == "Leader" { now = $5; if ($1 == id) leading = 1 }
        $1 == id && $NF != "Leader" { fetched = $5 }
        END { exit !(now > 0 && !leading && now - fetched >= gone) }' "$work/replication.out"; then
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail "controllers: voter $1 still runs after ${wait_seconds}s; it is removed from the quorum once its pod is gone"
    fi
    log "controllers: voter $1 is not a controller of the chart and still runs; next look in ${poll_seconds}s"
    sleep "$poll_seconds"
  done
}

remove_old_controllers() {
  while :; do
    must quorum quorum_tool describe --status
    voter=$(voter_to_remove)
    if [ -z "$voter" ]; then break; fi
    id=${voter%% *}
    wait_until_stopped "$id"
    must remove quorum_tool remove-controller --controller-id "$id" --controller-directory-id "${voter#* }"
    log "controllers: voter $id (directory ${voter#* }) removed from the quorum"
  done
  voters=$(grep '^CurrentVoters:' "$work/quorum.out" | grep -o '"id": [0-9]*' | awk '{ printf "%s%s", s, $2; s = " " }')
  log "controllers: the quorum's voters are $voters"
}

# --- the phases -----------------------------------------------------------------------------
count_keep() { set -- $keep; echo $#; }

case $KAFKAC_REBALANCE_PHASE in
  drain)
    wait_for_brokers 1
    resume_in_progress
    describe_and_plan drain ""
    refuse_if_impossible "drain"
    if [ "$moves" -eq 0 ]; then
      log "drain: no broker to empty ($summary)"
      exit 0
    fi
    print_proposal "drain"
    execute "drain" "${KAFKAC_REBALANCE_THROTTLE:-52428800}"
    describe_and_plan drain ""
    if [ "$moves" -ne 0 ] || [ -s "$work/impossible.txt" ]; then
      fail "drain: the brokers that go still hold replicas after the move ($summary)"
    fi
    log "drain: the brokers that go hold nothing; the upgrade may remove them"
    ;;
  grow)
    wait_for_brokers "$(count_keep)"
    if [ "${KAFKAC_CONTROLLER_QUORUM:-static}" = dynamic ]; then
      remove_old_controllers
    fi
    resume_in_progress
    describe_and_plan grow ""
    if [ "$moves" -gt 0 ]; then
      print_proposal "scale-up"
      execute "scale-up" "${KAFKAC_REBALANCE_THROTTLE:-52428800}"
    else
      log "scale-up: every broker holds its share, nothing to move"
    fi
    requests="${KAFKAC_REBALANCE_DIR:-/nonexistent}/requests.tsv"
    if [ -f "$requests" ]; then
      while IFS="$tab" read -r name mode brokers approved throttle; do
        what="KafkaRebalance $name ($mode)"
        case $mode in
          full) planner=full ;;
          add-brokers) planner=add ;;
          remove-brokers) planner=remove ;;
          *) log_error "$what: unknown mode"; exit 3 ;;
        esac
        KAFKAC_REBALANCE_EXCLUDE=
        if [ -f "$KAFKAC_REBALANCE_DIR/exclude-$name" ]; then
          KAFKAC_REBALANCE_EXCLUDE=$(cat "$KAFKAC_REBALANCE_DIR/exclude-$name")
        fi
        export KAFKAC_REBALANCE_EXCLUDE
        [ "$brokers" = - ] && brokers=
        describe_and_plan "$planner" "$(printf '%s' "$brokers" | tr ',' ' ')"
        refuse_if_impossible "$what"
        if [ "$moves" -eq 0 ]; then
          log "$what: nothing to move"
          continue
        fi
        print_proposal "$what"
        if [ "$approved" != true ]; then
          log "$what: not approved, so nothing moved; approve it (strimzi.io/rebalance: approve, or the" \
            "chart value rebalance.requests.$name.approved: true) and upgrade to run it"
          continue
        fi
        [ "$throttle" = - ] && throttle=${KAFKAC_REBALANCE_THROTTLE:-52428800}
        execute "$what" "$throttle"
      done < "$requests"
    fi
    ;;
  *) fail "unknown phase $KAFKAC_REBALANCE_PHASE" ;;
esac
