# Sourced by every script of the chart, after it sets log_name (the name its
# messages start with, as a Kafka logger's name starts a node's message): one
# event per line, in the shape of the Kafka nodes' own lines,
#   <UTC time, ms> <LEVEL> [<script>] <log_name>: <message>
# INFO and WARN on stdout, ERROR on stderr (the runtime tags the stream, so a
# failure stands out even before the line is parsed). README: "Logging".

log_script=${0##*/}
log_script=${log_script%.sh}

log_time() {
  log_now=$(date -u +%Y-%m-%dT%H:%M:%S.%N)
  log_fraction=${log_now##*.}
  case $log_fraction in
    # %N is nanoseconds; a date without it prints the letter back.
    [0-9][0-9][0-9]*) log_fraction=${log_fraction%"${log_fraction#???}"} ;;
    *) log_fraction=000 ;;
  esac
  printf '%s.%sZ' "${log_now%.*}" "$log_fraction"
}

# One event: a line break inside the text becomes the two characters \n, as
# the Kafka nodes' pattern writes it, so an event is always one line.
log_line() { # level, text
  case $2 in
    *'
'*) set -- "$1" "$(printf '%s' "$2" | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }')" ;;
  esac
  printf '%s %s [%s] %s\n' "$(log_time)" "$1" "$log_script" "$2"
}

log() { log_line INFO "$log_name: $*"; }
log_warn() { log_line WARN "$log_name: $*"; }
log_error() { log_line ERROR "$log_name: $*" >&2; }
fail() { log_error "$@"; exit 1; }

# A command whose whole output is a short answer (kubectl's "secret/x created"):
# logged as one event; its failure ends the script.
log_run() {
  if log_output=$("$@" 2>&1); then log "$log_output"; else fail "$1 $2 failed: $log_output"; fi
}

# The last lines of a file (a tool's output), each an event of its own,
# indented under the message that introduced them.
log_tail() { # level, file
  tail -n 40 "$2" | while IFS= read -r log_text || [ -n "$log_text" ]; do
    if [ "$1" = ERROR ]; then log_error "  $log_text"; else log_line "$1" "$log_name:   $log_text"; fi
  done
}

# The one line of a mounted secret file (a key store password) as a Java
# properties value, a backslash written doubled; an empty file, or one of
# several lines, ends the script.
properties_secret() { # file
  properties_secret_line=$(cat "$1")
  case $properties_secret_line in
    *'
'*|'') fail "$1 must hold one line" ;;
  esac
  printf '%s\n' "$properties_secret_line" | sed 's/\\/\\\\/g'
}
