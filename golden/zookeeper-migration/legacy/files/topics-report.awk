# The topics Job's report and new record, once the actions have run. Runs
# after topics-json.awk, in the Job and in `kafkac topics diff`.
#
# Inputs, each file after its kind: kind=results (id, ok or failed, the error),
# kind=events events.tsv, kind=state state.jsonl (the old record, kept for a
# topic whose action failed), kind=next next-state.tsv; the variables work and
# shards. Outputs: the report on standard output, one line per change for a
# person, then one line of JSON for machines; state-<i>.jsonl per shard and the
# status (ok, refused or failed) in work.
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
