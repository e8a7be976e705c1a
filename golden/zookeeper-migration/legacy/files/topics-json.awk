# The topic lines of the topics Job's data files, and the escaped form of values.
#
# A topic line is one JSON object as kafkac writes them (compiler/topics.py,
# spec_line): {"name":..,"partitions":..,"replicas":..,"config":{..}}. Values
# stay in their JSON-escaped form throughout, so that a value is always one
# field of one line; they are unescaped only into the files the tools read.
# Loaded before topics-compare.awk and topics-report.awk.
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
# The escapes of a JSON string (JSON_ESCAPES) and of a Java properties value
# (PROPERTIES_ESCAPES), by the character they stand for.
function init_escapes(   i) {
  for (i = 1; i < 32; i++) JSON_ESCAPES[sprintf("%c", i)] = sprintf("\\u%04x", i)
  JSON_ESCAPES[sprintf("%c", 127)] = "\\u007f"; JSON_ESCAPES["\\"] = "\\\\"; JSON_ESCAPES["\""] = "\\\""
  PROPERTIES_ESCAPES["\\"] = "\\\\"; PROPERTIES_ESCAPES["\n"] = "\\n"; PROPERTIES_ESCAPES["\r"] = "\\r"
  PROPERTIES_ESCAPES["\t"] = "\\t"
}
# s with every character that `escapes` has replaced by its escape.
function escaped(s, escapes,    out, i, c) {
  out = ""
  for (i = 1; i <= length(s); i++) { c = substr(s, i, 1); out = out ((c in escapes) ? escapes[c] : c) }
  return out
}
# A raw value (as a tool printed it) in its JSON-escaped form.
function escape(s) { return escaped(s, JSON_ESCAPES) }
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
BEGIN { NONE = sprintf("%c", 1); init_escapes() }
