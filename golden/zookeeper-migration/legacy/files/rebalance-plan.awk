# The rebalance Job's planner: which replicas move where. Run by rebalance-run.sh.
#
# Inputs, each after a kind= assignment:
#   kind=brokers    `kafka-broker-api-versions.sh`: the brokers that answer, each
#                   on a line "<host>:<port> (id: <id> rack: <rack>...) -> (" (the
#                   API versions lines in between are skipped)
#   kind=describe   `kafka-topics.sh --describe`: a line per partition with
#                   Topic:, Partition: and Replicas: fields, tab-separated
#   kind=sizes      `kafka-log-dirs.sh --describe` (optional): JSON with each
#                   replica's "partition":"<topic>-<n>" and "size"
# Variables:
#   mode      drain   move every replica off the brokers that are not in `keep`
#                     (the chart's brokers), then nothing else
#             remove  move every replica off `brokers`
#             grow    even out replicas and preferred leaders by moving them onto
#                     the brokers of `keep` that hold less than half their share
#                     (a scale-up's)
#             full    even them out over every broker that answers
#             add     even them out by moving them onto `brokers` only
#   keep      the chart's broker node ids, space-separated
#   brokers   the node ids a KafkaRebalance names, space-separated
#   skip      node ids left out of a drain (kafkac.io/drained-node-ids)
#   ENVIRON["KAFKAC_REBALANCE_EXCLUDE"]: topics that match this regular
#             expression (POSIX ERE) stay where they are, except in drain and
#             remove: a broker that goes must hold nothing. From the environment,
#             so that awk reads its backslashes as they are written.
#   work      the folder for the outputs
# Outputs, in work:
#   reassignment.json  what kafka-reassign-partitions.sh --execute reads: the
#                      partitions whose replicas or their order change
#   proposal.txt       one line per partition that changes, for the log
#   impossible.txt     one line per topic that cannot move: topic, tab, why
#   summary            moves=<partitions> replicas=<replicas moved> bytes=<known bytes>
#                      leaving=<ids> targets=<ids>
# A move keeps a partition's replicas on distinct brokers, and on distinct racks
# where racks are set and there are enough of them; it takes the least loaded
# broker first, the lowest id on a tie, so the same inputs give the same plan:
# a second run on the cluster the first one left moves nothing.

function ids_to_set(text, set,    n, parts, i) {
  n = split(text, parts, /[ ,]+/)
  for (i = 1; i <= n; i++) if (parts[i] != "") set[parts[i] + 0] = 1
}

function is_int(text) { return text ~ /^[0-9]+$/ }

# the value after "<name>: " in a describe line's tab-separated fields
function field_value(name,    i, n, parts, prefix) {
  n = split($0, parts, "\t")
  prefix = name ": "
  for (i = 1; i <= n; i++) {
    sub(/^ +/, "", parts[i])
    if (index(parts[i], prefix) == 1) return substr(parts[i], length(prefix) + 1)
  }
  return ""
}

kind == "brokers" {
  if (match($0, /\(id: [0-9]+ rack: [^ )]*/)) {
    split(substr($0, RSTART + 1, RLENGTH - 1), node, " ")
    live[node[2] + 0] = 1
    rack[node[2] + 0] = (node[4] == "null") ? "" : node[4]
  }
  next
}

kind == "describe" {
  if (index($0, "Partition: ") == 0 || index($0, "Replicas: ") == 0) next
  topic = field_value("Topic")
  partition = field_value("Partition")
  if (topic == "" || !is_int(partition)) next
  p = ++partitions
  p_topic[p] = topic
  p_partition[p] = partition + 0
  p_before[p] = field_value("Replicas")
  p_size[p] = ""
  p_count[p] = split(p_before[p], replicas, ",")
  for (i = 1; i <= p_count[p]; i++) p_replica[p, i] = replicas[i] + 0
  key_of[topic "-" partition] = p
  next
}

kind == "sizes" {
  # "partition":"<topic>-<n>","size":<bytes>: the largest copy is the partition's size
  line = $0
  while (match(line, /"partition":"[^"]*","size":[0-9]+/)) {
    item = substr(line, RSTART, RLENGTH)
    line = substr(line, RSTART + RLENGTH)
    name = item
    sub(/^"partition":"/, "", name)
    sub(/",.*$/, "", name)
    size = item
    sub(/^.*"size":/, "", size)
    if (!(name in sizes) || size + 0 > sizes[name] + 0) sizes[name] = size + 0
  }
  next
}

function contains(p, broker,    i) {
  for (i = 1; i <= p_count[p]; i++) if (p_replica[p, i] == broker) return 1
  return 0
}

# how many replicas of p, other than position `but`, sit on the rack of `broker`
function rack_shared(p, broker, but,    i, n) {
  if (rack[broker] == "") return 0
  n = 0
  for (i = 1; i <= p_count[p]; i++)
    if (i != but && rack[p_replica[p, i]] == rack[broker]) n++
  return n
}

# the target broker that takes position `at` of p: not among its replicas, on a
# rack it does not use yet where one is left, least loaded, lowest id
function best_target(p, at, original,    b, best, best_shared, shared) {
  best = -1
  for (b = 0; b <= max_id; b++) {
    if (!(b in target) || contains(p, b) || index("," original ",", "," b ",")) continue
    shared = rack_shared(p, b, at)
    if (best < 0 || shared < best_shared || (shared == best_shared && load[b] < load[best])) {
      best = b
      best_shared = shared
    }
  }
  return best
}

function refuse(topic, why) {
  if (!(topic in refused)) {
    refused[topic] = why
    refused_order[++refused_count] = topic
  }
}

# --- drain: every replica on a leaving broker goes to a target ---------------------------
function drain(    p, i, b, t, original) {
  for (p = 1; p <= partitions; p++) {
    original = p_before[p]
    for (i = 1; i <= p_count[p]; i++) {
      b = p_replica[p, i]
      if (!(b in leaving)) continue
      if (!(b in live)) {
        refuse(p_topic[p], "broker " b " holds a replica and does not answer")
        continue
      }
      t = best_target(p, i, original)
      if (t < 0) {
        refuse(p_topic[p], "replication factor " p_count[p] " is above the " target_count \
               " brokers that remain")
        continue
      }
      p_replica[p, i] = t
      load[t]++
      moved_replicas++
    }
  }
}

# --- spread: from the most loaded broker to the least loaded, one replica at a time -------
function movable(p, from, to, at) {
  # the move must not put two replicas on one rack where they were apart
  return !contains(p, to) && !(p_topic[p] in excluded) && \
         rack_shared(p, to, at) <= rack_shared(p, from, at)
}

function spread_once(    b, lo, p, i, hit, found, gap, best_gap) {
  found = 0
  for (b = 0; b <= max_id; b++) {
    if (!(b in target)) continue
    for (lo = 0; lo <= max_id; lo++) {
      if (!(lo in target) || (restricted && !(lo in receivers))) continue
      gap = load[b] - load[lo]
      if (gap <= 1 || (found && gap <= best_gap)) continue
      hit = 0
      for (p = 1; p <= partitions && !hit; p++)
        for (i = 1; i <= p_count[p] && !hit; i++)
          if (p_replica[p, i] == b && movable(p, b, lo, i)) {
            hit = 1
            found = 1
            best_gap = gap
            best_p = p; best_i = i; best_from = b; best_to = lo
          }
    }
  }
  if (!found) return 0
  p_replica[best_p, best_i] = best_to
  load[best_from]--
  load[best_to]++
  moved_replicas++
  return 1
}

# --- preferred leaders: the first replica of each partition, evened out by reordering ----
function lead_once(    b, lo, p, i, swap) {
  for (b = 0; b <= max_id; b++) {
    if (!(b in target)) continue
    for (lo = 0; lo <= max_id; lo++) {
      if (!(lo in target) || leads[b] - leads[lo] <= 1) continue
      for (p = 1; p <= partitions; p++) {
        if (p_replica[p, 1] != b || p_count[p] < 2 || (p_topic[p] in excluded)) continue
        for (i = 2; i <= p_count[p]; i++) {
          if (p_replica[p, i] == lo) {
            swap = p_replica[p, 1]; p_replica[p, 1] = p_replica[p, i]; p_replica[p, i] = swap
            leads[b]--; leads[lo]++
            return 1
          }
        }
      }
    }
  }
  return 0
}

function after(p,    i, text) {
  text = p_replica[p, 1]
  for (i = 2; i <= p_count[p]; i++) text = text "," p_replica[p, i]
  return text
}

function id_list(set,    b, text) {
  text = ""
  for (b = 0; b <= max_id; b++) if (b in set) text = text (text == "" ? "" : ",") b
  return text == "" ? "-" : text
}

END {
  ids_to_set(keep, kept)
  ids_to_set(brokers, named)
  ids_to_set(skip, skipped)
  max_id = 0
  for (b in live) if (b + 0 > max_id) max_id = b + 0
  for (b in named) if (b + 0 > max_id) max_id = b + 0
  for (p = 1; p <= partitions; p++)
    for (i = 1; i <= p_count[p]; i++) if (p_replica[p, i] > max_id) max_id = p_replica[p, i]

  if (mode == "drain") {
    for (b in live) if (!(b in kept) && !(b in skipped)) leaving[b] = 1
    for (p = 1; p <= partitions; p++)
      for (i = 1; i <= p_count[p]; i++) {
        b = p_replica[p, i]
        if (!(b in kept) && !(b in skipped)) leaving[b] = 1
      }
  } else if (mode == "remove") {
    for (b in named) leaving[b] = 1
  }
  for (b in live) {
    if (b in leaving) continue
    if ((mode == "drain" || mode == "grow") && !(b in kept)) continue
    target[b] = 1
    target_count++
  }
  exclude = ENVIRON["KAFKAC_REBALANCE_EXCLUDE"]
  for (p = 1; p <= partitions; p++) {
    if (exclude != "" && mode != "drain" && mode != "remove" && p_topic[p] ~ exclude) excluded[p_topic[p]] = 1
    for (i = 1; i <= p_count[p]; i++) load[p_replica[p, i]]++
  }
  restricted = (mode == "add" || mode == "grow")
  if (mode == "add") for (b in named) if (b in target) receivers[b] = 1
  # grow: the brokers that hold less than half their share, such as the ones a scale-up
  # added (a topic created since they joined may already have put a replica there)
  if (mode == "grow") {
    total = 0
    for (b in target) total += load[b]
    for (b in target) if (load[b] * 2 * target_count < total || !load[b]) receivers[b] = 1
  }

  if (mode == "drain" || mode == "remove") {
    drain()
  } else if (!restricted || id_list(receivers) != "-") {
    # grow does nothing unless a broker holds too little; then the leaders are evened
    # out over every broker, since the moves took some away from the old ones
    while (spread_once()) {}
    for (p = 1; p <= partitions; p++) leads[p_replica[p, 1]]++
    while (lead_once()) {}
  }

  impossible = work "/impossible.txt"
  printf "" > impossible
  for (i = 1; i <= refused_count; i++) printf "%s\t%s\n", refused_order[i], refused[refused_order[i]] > impossible
  close(impossible)

  json = work "/reassignment.json"
  proposal = work "/proposal.txt"
  printf "" > proposal
  printf "{\"version\":1,\"partitions\":[" > json
  moves = 0
  bytes = 0
  for (p = 1; p <= partitions; p++) {
    if ((p_topic[p] in refused) || after(p) == p_before[p]) continue
    name = p_topic[p] "-" p_partition[p]
    size = (name in sizes) ? sizes[name] : ""
    if (size != "") bytes += size
    printf "%s{\"topic\":\"%s\",\"partition\":%d,\"replicas\":[%s]}", (moves ? "," : ""), p_topic[p],
      p_partition[p], after(p) > json
    printf "%s: %s -> %s%s\n", name, p_before[p], after(p), (size == "" ? "" : " (" size " bytes)") > proposal
    moves++
  }
  printf "]}\n" > json
  close(json)
  close(proposal)
  printf "moves=%d replicas=%d bytes=%d leaving=%s targets=%s receivers=%s\n", moves, moved_replicas + 0,
    bytes, id_list(leaving), id_list(target), id_list(receivers) > (work "/summary")
}
