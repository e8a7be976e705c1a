#!/bin/sh
# Applies the KafkaConnectors of a kafkac Connect chart through the workers' REST API,
# after every install and upgrade (a Helm hook Job), and prints one JSON line per
# connector: {"connector":..,"action":..,"state":..}.
#
# Idempotent: the chart gives every connector two options of its own, the name of
# the KafkaConnect that manages it (kafkac.io.managed-by) and the checksum of the
# rest of its options (kafkac.io.config-checksum). A connector whose checksum is
# the wanted one is left as it is, so a run with nothing changed changes nothing.
# Then its state is brought to the wanted one (pause, resume, stop; a failed one
# is restarted when autoRestart is on). A connector the workers run that the
# chart no longer lists is deleted only when its managed-by option names this
# KafkaConnect: connectors created by hand or by someone else are kept.
#
# Inputs (environment): KAFKAC_CONNECT_API (http://host:port), KAFKAC_CONNECTORS_DIR
# (connectors.txt: `<name> <state> <autoRestart> [<file>]` lines, and the options of
# each in <file>, by default <name>.json), KAFKAC_MANAGED_BY, KAFKAC_WAIT_SECONDS.
set -eu

api=${KAFKAC_CONNECT_API:?}
dir=${KAFKAC_CONNECTORS_DIR:?}
managed_by=${KAFKAC_MANAGED_BY:?}
wait_seconds=${KAFKAC_WAIT_SECONDS:-600}
log_name=connectors
. "${0%/*}/log.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
body="$scratch/body"

# One request; prints the HTTP status, leaves the answer in $body.
request() { # method, path, [file with the JSON to send]
  if [ $# -ge 3 ]; then
    curl --silent --show-error --max-time 30 -o "$body" -w '%{http_code}' -X "$1" \
      -H 'Content-Type: application/json' --data-binary "@$3" "$api$2" || echo 000
  else
    curl --silent --show-error --max-time 30 -o "$body" -w '%{http_code}' -X "$1" "$api$2" || echo 000
  fi
}

# A request the workers may refuse for a while (a rebalance answers 409, a worker
# that is starting 5xx): retried until it gets an answer, for at most wait_seconds.
call() { # method, path, [file]
  waited=0
  while :; do
    status=$(request "$@")
    case $status in
      000|409|5??) ;;
      *) echo "$status"; return 0 ;;
    esac
    [ "$waited" -lt "$wait_seconds" ] || fail "$1 $2: the REST API answered $status for ${wait_seconds}s: $(cat "$body" 2>/dev/null)"
    sleep 2; waited=$((waited + 2))
  done
}

expect() { # status, what, wanted statuses...
  got=$1 what=$2; shift 2
  for wanted in "$@"; do [ "$got" = "$wanted" ] && return 0; done
  fail "$what: the REST API answered $got: $(cat "$body")"
}

checksum_of() { # file
  sed -n 's/.*"kafkac\.io\.config-checksum" *: *"\([0-9a-f]*\)".*/\1/p' "$1"
}

connector_state() { # name
  tries=0
  while :; do
    status=$(call GET "/connectors/$1/status")
    if [ "$status" = 200 ]; then
      sed -n 's/.*"connector" *: *{[^}]*"state" *: *"\([A-Z]*\)".*/\1/p' "$body"
      return 0
    fi
    # A connector just created has no status until a worker has started it.
    tries=$((tries + 1))
    [ "$tries" -lt 30 ] || fail "GET /connectors/$1/status: the REST API answered $status: $(cat "$body")"
    sleep 1
  done
}

# A connector's name in a URL path: MirrorMaker 2's names hold '>', which a URL may not.
url_name() { # name
  printf '%s' "$1" | sed 's/%/%25/g; s/>/%3E/g'
}

report() { # name, action, state
  printf '{"connector":"%s","action":"%s","state":"%s"}\n' "$1" "$2" "$3"
}

wanted_names=" "
while read -r name state auto_restart file || [ -n "$name" ]; do
  [ -n "$name" ] || continue
  wanted_names="$wanted_names$name "
  file="$dir/${file:-$name.json}"
  display=$name
  name=$(url_name "$display")
  status=$(call GET "/connectors/$name/config")
  expect "$status" "GET /connectors/$name/config" 200 404
  if [ "$status" = 404 ]; then
    action=created
  elif [ "$(checksum_of "$body")" != "$(checksum_of "$file")" ]; then
    action=updated
  else
    action=unchanged
  fi
  if [ "$action" != unchanged ]; then
    status=$(call PUT "/connectors/$name/config" "$file")
    expect "$status" "PUT /connectors/$name/config" 200 201
  fi
  current=$(connector_state "$name")
  case $state:$current in
    running:PAUSED|running:STOPPED) path=resume; current=RUNNING ;;
    running:FAILED) if [ "$auto_restart" = true ]; then path="restart?includeTasks=true&onlyFailed=true"; current=RESTARTING; else path=""; fi ;;
    paused:PAUSED|stopped:STOPPED|running:*) path="" ;;
    paused:*) path=pause; current=PAUSED ;;
    stopped:*) path=stop; current=STOPPED ;;
    *) fail "connector $name: unknown wanted state $state" ;;
  esac
  if [ -n "$path" ]; then
    method=PUT
    case $path in restart*) method=POST ;; esac
    status=$(call "$method" "/connectors/$name/$path")
    expect "$status" "$method /connectors/$name/$path" 200 202 204
    [ "$action" = unchanged ] && action=${path%%\?*}
  fi
  report "$display" "$action" "$current"
done < "$dir/connectors.txt"

# Connectors the workers run that the chart no longer lists.
status=$(call GET /connectors)
expect "$status" "GET /connectors" 200
# The answer is one JSON array of names (DNS subdomains: no quotes, commas or blanks inside).
{ tr -d '[]" \n' < "$body" | tr ',' '\n'; echo; } > "$scratch/running"
while read -r name; do
  [ -n "$name" ] || continue
  case $wanted_names in *" $name "*) continue ;; esac
  display=$name
  name=$(url_name "$display")
  status=$(call GET "/connectors/$name/config")
  [ "$status" = 200 ] || continue
  if grep -q "\"kafkac\\.io\\.managed-by\" *: *\"$managed_by\"" "$body"; then
    status=$(call DELETE "/connectors/$name")
    expect "$status" "DELETE /connectors/$name" 200 204 404
    report "$display" deleted DELETED
  else
    report "$display" "not-managed" "$(connector_state "$name")"
  fi
done < "$scratch/running"
