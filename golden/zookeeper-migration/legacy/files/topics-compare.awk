# The topics Job's three-way comparison: the spec, the record of what the Job
# applied last, and the topics as Kafka has them (see topics-sync.sh for the
# rules). Runs after topics-json.awk, in the Job and in `kafkac topics diff`.
#
# Inputs, each file after its kind: kind=spec shard=<i> topics.jsonl,
# kind=state state.jsonl (none before the first run), kind=topics (what
# kafka-topics.sh --describe prints), kind=configs (what kafka-configs.sh
# --describe --entity-type topics prints); the variable work names the folder
# for the outputs.
# Outputs, in work: the actions to take (actions.tsv and, per action, the files
# the tools read, under actions/), the events to report (events.tsv) and the
# next record of every topic (next-state.tsv).
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
function properties_value(raw,    out) {
  out = escaped(raw, PROPERTIES_ESCAPES)
  return substr(out, 1, 1) == " " ? "\\" out : out
}
