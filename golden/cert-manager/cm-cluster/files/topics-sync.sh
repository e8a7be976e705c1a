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
kafka_home=${KAFKA_HOME:-/opt/kafka}
work=$KAFKAC_WORK_DIR
parallelism=${KAFKAC_PARALLELISM:-4}
wait_seconds=${KAFKAC_WAIT_SECONDS:-900}
need_brokers=${KAFKAC_MAX_REPLICAS:-1}
tab=$(printf '\t')

log_name=kafkac-topics
. "${0%/*}/log.sh"

# A small, quick tool JVM; kafka_client_settings, kafka_configs, tool_error.
. "${0%/*}/kafka-tools.sh"

mkdir -p "$work/actions"
rm -f "$work"/state-*.jsonl "$work/status" "$work"/actions/*

kafka_client_settings

kafka_topics() {
  "$kafka_home/bin/kafka-topics.sh" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" --command-config "$client" "$@"
}

# --- wait for the cluster: answering, with enough brokers for the widest topic ----------
deadline=$(( $(date +%s) + wait_seconds ))
delay=2
while :; do
  if "$kafka_home/bin/kafka-cluster.sh" list-endpoints --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" \
      --command-config "$probe" --include-fenced-brokers > "$work/endpoints.out" 2>&1; then
    # ID HOST PORT RACK STATE ENDPOINT_TYPE
    ready=$(awk '$NF == "broker" && $(NF-1) == "unfenced" { n[$1] = 1 } END { c = 0; for (i in n) c++; print c }' \
      "$work/endpoints.out")
    if [ "$ready" -ge "$need_brokers" ]; then
      log "the cluster answers, with $ready brokers registered and unfenced"
      break
    fi
    problem="$ready of the $need_brokers brokers the topics need are registered and unfenced"
  else
    problem=$(tool_error "$work/endpoints.out")
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    log_error "the cluster did not get ready in ${wait_seconds}s: $problem"
    log_tail ERROR "$work/endpoints.out"
    exit 1
  fi
  log "waiting for the cluster ($problem); next try in ${delay}s"
  sleep "$delay"
  delay=$((delay * 2))
  if [ "$delay" -gt 30 ]; then delay=30; fi
done

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

# --- the three-way comparison --------------------------------------------------------------
# Values stay in their JSON-escaped form throughout, so that a value is always
# one field of one line; they are unescaped only into the files the tools read.
# shellcheck disable=SC2016
common_awk='
function fail(message) { print message > "/dev/stderr"; failed_parse = 1; exit 2 }
function ws() { sub(/^[ \t]+/, "", P) }
function eat(c) { ws(); if (substr(P, 1, 1) != c) return 0; P = substr(P, 2); return 1 }
function str() {
  ws()
  if (!match(P, /^"([^"\\]|\\.)*"/)) return 0
  S = substr(P, 2, RLENGTH - 2); P = substr(P, RLENGTH + 1); return 1
}
function num() { ws(); if (!match(P, /^[0-9]+/)) return 0; S = substr(P, 1, RLENGTH); P = substr(P, RLENGTH + 1); return 1 }
# One topic line: sets T_name, T_partitions, T_replicas, T_n, T_key[i], T_value[i].
function parse_topic(line,    key) {
  T_name = ""; T_partitions = ""; T_replicas = ""; T_n = 0; P = line
  if (!eat("{")) return 0
  do {
    if (!str()) return 0
    key = S
    if (!eat(":")) return 0
    if (key == "name") { if (!str()) return 0; T_name = S }
    else if (key == "partitions") { if (!num()) return 0; T_partitions = S }
    else if (key == "replicas") { if (!num()) return 0; T_replicas = S }
    else if (key == "config") {
      if (!eat("{")) return 0
      if (!eat("}")) {
        do {
          if (!str()) return 0
          T_n++; T_key[T_n] = S
          if (!eat(":") || !str()) return 0
          T_value[T_n] = S
        } while (eat(","))
        if (!eat("}")) return 0
      }
    } else return 0
  } while (eat(","))
  if (!eat("}")) return 0
  ws()
  return P == "" && T_name != "" && T_partitions != "" && T_replicas != ""
}
function init_chars(   i) { for (i = 1; i < 32; i++) ORD[sprintf("%c", i)] = i; ORD[sprintf("%c", 127)] = 127 }
# A raw value (as a tool printed it) in its JSON-escaped form.
function escape(s,    out, i, c) {
  out = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\"") out = out "\\\""
    else if (c in ORD) out = out sprintf("\\u%04x", ORD[c])
    else out = out c
  }
  return out
}
# The raw value of a JSON-escaped one; kafkac writes printable ASCII only.
function unescape(s,    out, i, c) {
  out = ""
  while ((i = index(s, "\\")) > 0) {
    out = out substr(s, 1, i - 1); c = substr(s, i + 1, 1); s = substr(s, i + 2)
    if (c == "\"" || c == "\\" || c == "/") out = out c
    else if (c == "t") out = out "\t"
    else if (c == "n") out = out "\n"
    else if (c == "r") out = out "\r"
    else if (c == "u" && substr(s, 1, 2) == "00" && substr(s, 3, 2) ~ /^[0-7][0-9a-f]$/) {
      out = out sprintf("%c", index("0123456789abcdef", substr(s, 3, 1)) * 16 + index("0123456789abcdef", substr(s, 4, 1)) - 17); s = substr(s, 5)
    } else fail("unsupported escape \\" c " in a value")
  }
  return out s
}
function json_value(v) { return v == NONE ? "null" : "\"" v "\"" }
function topic_line(name, partitions, replicas, keys, n, values,    line, i) {
  line = "{\"name\":\"" name "\",\"partitions\":" partitions ",\"replicas\":" replicas ",\"config\":{"
  for (i = 1; i <= n; i++) line = line (i > 1 ? "," : "") "\"" keys[i] "\":\"" values[keys[i]] "\""
  return line "}}"
}
BEGIN { NONE = sprintf("%c", 1); init_chars() }
'

# Reads the spec, the record and what Kafka has; writes the actions to take
# (actions.tsv and, per action, the files the tools read), the events to report
# (events.tsv) and the next record of every topic (next-state.tsv).
# shellcheck disable=SC2016
plan_awk='
BEGIN { FS = "\t" }
kind == "spec" || kind == "state" {
  if ($0 ~ /^[ \t]*$/) next
  if (!parse_topic($0)) fail(FILENAME ":" FNR ": not a topic line as kafkac writes them")
  t = T_name
  if (kind == "spec") {
    if (t in spec_shard) fail(FILENAME ":" FNR ": topic " t " is in the spec twice")
    order[++topics] = t; spec_shard[t] = shard; sp[t] = T_partitions; sr[t] = T_replicas; sn[t] = T_n
    for (i = 1; i <= T_n; i++) { sk[t, i] = T_key[i]; sv[t, T_key[i]] = T_value[i] }
  } else {
    recorded[t] = $0; lp[t] = T_partitions; lr[t] = T_replicas; ln[t] = T_n
    for (i = 1; i <= T_n; i++) { lk[t, i] = T_key[i]; lv[t, T_key[i]] = T_value[i] }
  }
  next
}
kind == "topics" {
  # Topic: NAME<TAB>TopicId: ..<TAB>PartitionCount: N<TAB>ReplicationFactor: N<TAB>Configs: ..
  if (substr($1, 1, 7) != "Topic: ") next
  t = substr($1, 8); live[t] = 1
  for (i = 2; i <= NF; i++) {
    if (substr($i, 1, 16) == "PartitionCount: ") kp[t] = substr($i, 17)
    else if (substr($i, 1, 19) == "ReplicationFactor: ") kr[t] = substr($i, 20)
  }
  next
}
kind == "configs" {
  # Dynamic configs for topic NAME are:
  #   KEY=VALUE sensitive=false synonyms={...}
  if (substr($0, 1, 26) == "Dynamic configs for topic " && substr($0, length($0) - 4) == " are:") {
    ct = substr($0, 27, length($0) - 31); next
  }
  if (ct == "" || substr($0, 1, 2) != "  ") next
  entry = substr($0, 3); eq = index(entry, "=")
  if (eq < 2) next
  key = substr(entry, 1, eq - 1); value = substr(entry, eq + 1)
  if (match(value, / sensitive=(true|false) synonyms=\{.*\}$/)) value = substr(value, 1, RSTART - 1)
  if (!((ct, key) in kv)) kk[ct, ++kn[ct]] = key
  kv[ct, key] = escape(value)
  next
}
function event(kind, t, key, s, l, v) {
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, kind, key, s, l, v, action > events
}
function refuse(t, what, s, l, v) { event("refused-" what, t, "-", s, l, v); refused = 1 }
END {
  if (failed_parse) exit 2
  events = work "/events.tsv"; next_state = work "/next-state.tsv"; actions = work "/actions.tsv"
  printf "" > events; printf "" > next_state; printf "" > actions
  for (o = 1; o <= topics; o++) {
    t = order[o]; action = "-"; n = sn[t]; split("", values); split("", keys)
    for (i = 1; i <= n; i++) { keys[i] = sk[t, i]; values[keys[i]] = sv[t, keys[i]] }
    if (!(t in live)) {
      action = ++count; base = work "/actions/" action
      printf "" > (base ".create"); printf "" > (base ".add")
      for (i = 1; i <= n; i++) {
        raw = unescape(values[keys[i]])
        # kafka-topics.sh splits --config at "=" and trims blanks: other values are set right after creating.
        if (raw ~ /^[!-~](.*[!-~])?$/ && index(raw, "=") == 0 && raw !~ /[\n\r]/) print keys[i] "=" raw > (base ".create")
        else print keys[i] "=" properties_value(raw) > (base ".add")
      }
      close(base ".create"); close(base ".add")
      printf "%s\t%s\tcreate\t%s\t%s\t-\t-\t-\n", action, t, sp[t], sr[t] > actions
      event("created", t, "-", sp[t], sr[t], n)
      printf "%s\t%s\t%s\t%s\n", t, spec_shard[t], action, topic_line(t, sp[t], sr[t], keys, n, values) > next_state
      continue
    }
    first = !(t in recorded)
    raise = "-"; partitions = sp[t]; replicas = sr[t]
    if (first || sp[t] != lp[t]) {
      if (sp[t] + 0 > kp[t] + 0) raise = sp[t]
      else if (sp[t] + 0 < kp[t] + 0) {
        refuse(t, "partitions", sp[t], first ? NONE : lp[t], kp[t]); partitions = first ? kp[t] : lp[t]
      }
    } else if (sp[t] != kp[t]) event("kept-partitions", t, "-", sp[t], lp[t], kp[t])
    if (sr[t] != kr[t]) {
      if (first || sr[t] != lr[t]) { refuse(t, "replicas", sr[t], first ? NONE : lr[t], kr[t]); replicas = first ? kr[t] : lr[t] }
      else event("kept-replicas", t, "-", sr[t], lr[t], kr[t])
    }
    # Every option the spec, the record or Kafka has, each once.
    split("", seen); m = 0
    for (i = 1; i <= n; i++) { seen[sk[t, i]] = 1; option[++m] = sk[t, i] }
    for (i = 1; i <= ln[t]; i++) if (!(lk[t, i] in seen)) { seen[lk[t, i]] = 1; option[++m] = lk[t, i] }
    for (i = 1; i <= kn[t]; i++) if (!(kk[t, i] in seen)) { seen[kk[t, i]] = 1; option[++m] = kk[t, i] }
    adds = ""; deletes = ""; changed = 0
    for (i = 1; i <= m; i++) {
      key = option[i]
      s = ((t, key) in sv) ? sv[t, key] : NONE
      l = first ? NONE : (((t, key) in lv) ? lv[t, key] : NONE)
      v = ((t, key) in kv) ? kv[t, key] : NONE
      if (s == l) {
        if (v != s) pending[++np] = "kept\t" key "\t" s "\t" l "\t" v
      } else if (v != s) {
        if (s == NONE) deletes = deletes (deletes == "" ? "" : ",") key
        else adds = adds key "=" properties_value(unescape(s)) "\n"
        pending[++np] = (v == l ? "changed" : "conflict") "\t" key "\t" s "\t" l "\t" v
        changed = 1
      }
    }
    if (raise != "-" || changed) {
      action = ++count; base = work "/actions/" action
      printf "%s", adds > (base ".add"); close(base ".add")
      pattern = regex_literal(t)
      printf "%s\t%s\tupdate\t-\t-\t%s\t%s\t%s\n", action, t, raise, deletes == "" ? "-" : deletes, pattern > actions
      if (raise != "-") event("raised", t, "-", raise, first ? NONE : lp[t], kp[t])
    }
    for (i = 1; i <= np; i++) {
      split(pending[i], f, "\t"); event(f[1], t, f[2], f[3], f[4], f[5])
    }
    np = 0
    if (action == "-") event("unchanged", t, "-", "-", "-", "-")
    printf "%s\t%s\t%s\t%s\n", t, spec_shard[t], action, topic_line(t, partitions, replicas, keys, n, values) > next_state
  }
}
# A topic name as the regular expression kafka-topics.sh --alter reads: only "." is special.
function regex_literal(name,    parts, n, i, out) {
  n = split(name, parts, ".")
  out = parts[1]
  for (i = 2; i <= n; i++) out = out "\\." parts[i]
  return out
}
# A raw value as a Java properties value: backslashes doubled, a leading blank and line breaks escaped.
function properties_value(raw,    out, i, c) {
  out = ""
  for (i = 1; i <= length(raw); i++) {
    c = substr(raw, i, 1)
    if (c == "\\") out = out "\\\\"
    else if (c == "\n") out = out "\\n"
    else if (c == "\r") out = out "\\r"
    else if (c == "\t") out = out "\\t"
    else if (c == " " && i == 1) out = out "\\ "
    else out = out c
  }
  return out
}
'

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
run_awk() { # program, then its arguments
  awk_code=0
  awk "$@" 2> "$work/awk.err" || awk_code=$?
  while IFS= read -r text; do log_error "$text"; done < "$work/awk.err"
  if [ "$awk_code" -ne 0 ]; then exit "$awk_code"; fi
}
run_awk "$common_awk$plan_awk" work="$work" "$@"

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

# --- the report and the new record -------------------------------------------------------
# shellcheck disable=SC2016
report_awk='
BEGIN { FS = "\t" }
kind == "results" { outcome[$1] = $2; error[$1] = $3; next }
kind == "events" { ev[++events] = $0; next }
kind == "next" {
  # topic, shard, action, new record line; a failed action keeps the old record
  t = $1; line = $4
  if ($3 != "-" && outcome[$3] != "ok") line = (t in old) ? old[t] : ""
  if (line != "") print line > (work "/state-" $2 ".jsonl")
  wrote[$2] = 1
  next
}
kind == "state" { if (parse_topic($0)) old[T_name] = $0; next }
function words(v) { return v == NONE ? "not set" : v == "" ? "\"\" (empty)" : unescape(v) }
function plural(n, word) { return n " " word (n == 1 ? "" : "s") }
function add(list, item) { return list (list == "" ? "" : ",") item }
function name(t) { return "\"" t "\"" }
# The value of a setting in the JSON line: partitions and replicas are numbers.
function jv(setting, v) { return (setting == "partitions" || setting == "replicas") && v != NONE ? v : json_value(v) }
END {
  if (failed_parse) exit 2
  for (i = 0; i < shards; i++) if (!(i in wrote)) printf "" > (work "/state-" i ".jsonl")
  for (e = 1; e <= events; e++) {
    split(ev[e], f, "\t"); t = f[1]; k = f[2]; key = f[3]; s = f[4]; l = f[5]; v = f[6]; a = f[7]
    if (a != "-" && outcome[a] != "ok") {
      if (!(t in failed_topic)) {
        failed_topic[t] = 1; nfailed++
        print "kafkac-topics: topic " t ": FAILED: " error[a]
        j_failed = add(j_failed, "{\"topic\":" name(t) ",\"error\":\"" escape(error[a]) "\"}")
      }
      continue
    }
    if (k == "unchanged") { unchanged++; continue }
    if (k == "created") {
      created++; j_created = add(j_created, name(t))
      print "kafkac-topics: topic " t ": created with " plural(s, "partition") " of " plural(l, "replica") " and " plural(v, "config option")
    } else if (k == "raised") {
      if (!(t in updated_topic)) { updated_topic[t] = 1; updated++; j_updated = add(j_updated, name(t)) }
      print "kafkac-topics: topic " t ": partitions raised from " v " to " s
      j_changes = add(j_changes, "{\"topic\":" name(t) ",\"setting\":\"partitions\",\"from\":" v ",\"to\":" s "}")
    } else if (k == "changed" || k == "conflict") {
      if (!(t in updated_topic)) { updated_topic[t] = 1; updated++; j_updated = add(j_updated, name(t)) }
      change = s == NONE ? "removed (Kafka default applies)" : "set to " words(s)
      if (k == "changed") {
        print "kafkac-topics: topic " t ": " key " " change ", was " words(v)
        j_changes = add(j_changes, "{\"topic\":" name(t) ",\"setting\":\"" key "\",\"from\":" json_value(v) ",\"to\":" json_value(s) "}")
      } else {
        conflicts++
        print "kafkac-topics: topic " t ": CONFLICT on " key ": Kafka had " words(v) ", the last applied value was " words(l) " and the spec changed it to " words(s) ": the spec was applied"
        j_conflicts = add(j_conflicts, "{\"topic\":" name(t) ",\"setting\":\"" key "\",\"spec\":" json_value(s) ",\"lastApplied\":" json_value(l) ",\"kafka\":" json_value(v) "}")
      }
    } else if (k ~ /^kept/) {
      kept++
      setting = k == "kept" ? key : substr(k, 6)
      if (k == "kept") {
        if (l == NONE) what = key " was set in Kafka to " words(v) " and is not in the spec"
        else if (v == NONE) what = key " was removed in Kafka; the spec and the last applied value are " words(s)
        else what = key " was changed in Kafka to " words(v) "; the spec and the last applied value are " words(s)
      } else {
        what = "has " v " " setting " in Kafka; the spec and the last applied value are " s
      }
      print "kafkac-topics: topic " t ": KEPT: " what ": the change made in Kafka is kept (change the spec to take it over)"
      j_kept = add(j_kept, "{\"topic\":" name(t) ",\"setting\":\"" setting "\",\"spec\":" jv(setting, s) ",\"lastApplied\":" jv(setting, l) ",\"kafka\":" jv(setting, v) "}")
    } else if (k ~ /^refused-/) {
      refused++
      setting = substr(k, 9)
      if (setting == "partitions")
        why = "Kafka cannot lower the number of partitions (it has " v ", the spec says " s "); set spec.partitions to " v " or more"
      else
        why = "the replication factor of an existing topic is not changed by this Job (Kafka has " v ", the spec says " s "): that needs a partition reassignment (kafka-reassign-partitions.sh); set spec.replicas to " v " to match"
      print "kafkac-topics: topic " t ": REFUSED: " why
      j_refused = add(j_refused, "{\"topic\":" name(t) ",\"setting\":\"" setting "\",\"spec\":" s ",\"kafka\":" v "}")
    }
  }
  total = created + updated + unchanged + nfailed
  status = nfailed ? "failed" : refused ? "refused" : "ok"
  if (created + updated == 0 && !nfailed && !refused)
    summary = plural(total, "topic") ": nothing to change" (kept ? "" : ", Kafka matches the spec")
  else
    summary = plural(total, "topic") ": " created + 0 " created, " updated + 0 " updated, " unchanged + 0 " unchanged, " nfailed + 0 " failed"
  if (refused) summary = summary "; " plural(refused, "change") " refused"
  if (kept) summary = summary "; " plural(kept, "change") " made in Kafka kept"
  if (conflicts) summary = summary "; " plural(conflicts, "conflict") " resolved from the spec"
  print "kafkac-topics: " summary
  printf "kafkac-topics: {\"report\":\"kafkac-topics\",\"status\":\"%s\",\"topics\":%d,\"created\":[%s],\"updated\":[%s],\"unchanged\":%d,\"changes\":[%s],\"kept\":[%s],\"conflicts\":[%s],\"refused\":[%s],\"failed\":[%s]}\n", \
    status, total, j_created, j_updated, unchanged, j_changes, j_kept, j_conflicts, j_refused, j_failed
  print status > (work "/status")
}
'

set -- kind=results "$work/results.tsv" kind=events "$work/events.tsv"
for state_file in "$KAFKAC_TOPICS_DIR"/state/*/state.jsonl; do
  if [ -f "$state_file" ]; then set -- "$@" kind=state "$state_file"; fi
done
set -- "$@" kind=next "$work/next-state.tsv"
run_awk "$common_awk$report_awk" work="$work" shards="$KAFKAC_TOPICS_SHARDS" "$@" > "$work/report.txt"
# The report, in order, on stdout: a line's level says what it tells.
while IFS= read -r text; do
  case $text in
    *": FAILED: "*) level=ERROR ;;
    *": REFUSED: "*|*": KEPT: "*|*": CONFLICT on "*) level=WARN ;;
    *) level=INFO ;;
  esac
  log_line "$level" "$text"
done < "$work/report.txt"
