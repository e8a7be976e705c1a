#!/bin/sh
# Applies the cluster's KafkaUsers in Kafka: the last step of the users Job.
#
# For every user of the spec, in Kafka's Admin API through Kafka's own tools:
#
#   SCRAM-SHA-512  the credentials are registered when Kafka has none for the
#                  user, or when the issue step created the user's Secret in
#                  this run; otherwise they are kept. The password is read from
#                  a file and given to kafka-configs in a file
#                  (--add-config-file): never on a command line, never logged.
#   ACLs           those of the user's principal in Kafka are compared with the
#                  spec: missing ones are added, others are removed. kafkac
#                  manages every ACL of the principal of a user of the spec, and
#                  no other principal's.
#   quotas         producer_byte_rate, consumer_byte_rate, request_percentage
#                  and controller_mutation_rate of the user's quota entity are
#                  set as the spec says; one the spec does not set is removed.
#
# Each change is one line of the report; a run with nothing to change says so.
# It waits for the cluster (with backoff), and fails with the broker's error
# when a change fails.
#
# Inputs, all of them data: $KAFKAC_FILES_DIR/users.tsv, acls.tsv, quotas.tsv
# (tab-separated, see compiler/users.py), $KAFKAC_WORK_DIR/scram/ (from the
# issue step), and the Kafka client settings ($KAFKAC_BOOTSTRAP_SERVERS,
# $KAFKAC_CLIENT_PROPERTIES, $KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE).
set -eu

: "${KAFKAC_BOOTSTRAP_SERVERS:?}" "${KAFKAC_FILES_DIR:?}" "${KAFKAC_WORK_DIR:?}" "${KAFKAC_CLIENT_DIR:?}"
work=$KAFKAC_WORK_DIR/apply
scram=$KAFKAC_WORK_DIR/scram
changes=0
failures=0

log_name=kafkac-users
. "${0%/*}/log.sh"

# A small, quick tool JVM; $kafka_home, $wait_seconds, $tab; kafka_client_settings,
# kafka_configs, tool_error.
. "${0%/*}/kafka-tools.sh"

rm -rf "$work"
mkdir -p "$work"

kafka_client_settings

kafka_acls() {
  "$kafka_home/bin/kafka-acls.sh" --bootstrap-server "$KAFKAC_BOOTSTRAP_SERVERS" --command-config "$client" "$@"
}

failed() { # what, output file
  log_error "FAILED: $1: $(tool_error "$2")"
  failures=$((failures + 1))
}

# --- wait for the cluster -----------------------------------------------------------------
any_broker() { # endpoints file
  log "the cluster answers"
}
wait_for_cluster "$work/endpoints.out" any_broker

# --- SCRAM-SHA-512 credentials ------------------------------------------------------------
while IFS="$tab" read -r name authentication _; do
  [ "$authentication" = scram-sha-512 ] || continue
  if ! kafka_configs --describe --entity-type users --entity-name "$name" > "$work/describe.out" 2>&1; then
    failed "user $name: cannot describe its credentials" "$work/describe.out"
    continue
  fi
  if grep -q 'SCRAM-SHA-512=' "$work/describe.out" && ! grep -qxF "$name" "$scram/new"; then
    continue
  fi
  [ -s "$scram/$name" ] || { log_error "FAILED: user $name: no password from the issue step"; failures=$((failures + 1)); continue; }
  # A properties file: backslashes doubled, so that the password is read back as it is.
  printf '%s%s\n' 'SCRAM-SHA-512=iterations=4096,password=' "$(sed 's/\\/\\\\/g' "$scram/$name")" \
    > "$KAFKAC_CLIENT_DIR/scram.properties"
  if kafka_configs --alter --entity-type users --entity-name "$name" \
      --add-config-file "$KAFKAC_CLIENT_DIR/scram.properties" > "$work/alter.out" 2>&1; then
    log "user $name: registered its SCRAM-SHA-512 credentials"
    changes=$((changes + 1))
  else
    failed "user $name: cannot register its SCRAM-SHA-512 credentials" "$work/alter.out"
  fi
  rm -f "$KAFKAC_CLIENT_DIR/scram.properties"
done < "$KAFKAC_FILES_DIR/users.tsv"

# --- ACLs -------------------------------------------------------------------------------
# Kafka's operation name as kafka-acls takes it: CLUSTER_ACTION -> ClusterAction.
operation_name() {
  printf '%s\n' "$1" | awk -F_ '{ s = ""; for (i = 1; i <= NF; i++) s = s substr($i, 1, 1) tolower(substr($i, 2)); print s }'
}

# kafka-acls --list output as the lines of acls.tsv (principal, resource type,
# pattern type, resource name, operation, host, permission).
parse_acls() {
  awk -v OFS="$tab" '
    index($0, "Current ACLs for resource `ResourcePattern(resourceType=") == 1 {
      rest = substr($0, length("Current ACLs for resource `ResourcePattern(resourceType=") + 1)
      type = substr(rest, 1, index(rest, ", name=") - 1)
      rest = substr(rest, index(rest, ", name=") + 7)
      # The name ends at the last ", patternType=".
      cut = 0; probe = rest
      while ((i = index(probe, ", patternType=")) > 0) { cut += i; probe = substr(probe, i + 1) }
      name = substr(rest, 1, cut - 1)
      pattern = substr(rest, cut + 14)
      sub(/\)`:.*$/, "", pattern)
      next
    }
    /^[ \t]*\(principal=/ {
      line = $0; sub(/^[ \t]*\(principal=/, "", line)
      principal = substr(line, 1, index(line, ", host=") - 1); line = substr(line, index(line, ", host=") + 7)
      host = substr(line, 1, index(line, ", operation=") - 1); line = substr(line, index(line, ", operation=") + 12)
      op = substr(line, 1, index(line, ", permissionType=") - 1); line = substr(line, index(line, ", permissionType=") + 17)
      sub(/\).*$/, "", line)
      print principal, type, pattern, name, op, host, line
    }'
}

acl_command() { # --add or --remove, then the fields of one ACL line
  action=$1 principal=$2 type=$3 pattern=$4 name=$5 op=$6 host=$7 permission=$8
  if [ "$permission" = DENY ]; then who=--deny-principal where=--deny-host; else who=--allow-principal where=--allow-host; fi
  set -- "$action" "$who" "$principal" "$where" "$host" --operation "$(operation_name "$op")" \
    --resource-pattern-type "$(printf '%s' "$pattern" | tr 'A-Z' 'a-z')"
  case $type in
    TOPIC) set -- "$@" --topic "$name" ;;
    GROUP) set -- "$@" --group "$name" ;;
    CLUSTER) set -- "$@" --cluster ;;
    TRANSACTIONAL_ID) set -- "$@" --transactional-id "$name" ;;
    *) log_error "FAILED: unknown resource type $type"; return 1 ;;
  esac
  [ "$action" = --remove ] && set -- "$@" --force
  kafka_acls "$@" > "$work/acl.out" 2>&1
}

acl_text() { # the fields of one ACL line, for the report: "ALLOW READ on TOPIC orders (LITERAL), host *"
  printf '%s %s on %s %s (%s), host %s' "$7" "$5" "$2" "$4" "$3" "$6"
}

apply_acl() { # --add or --remove, ACL line fields
  verb=$1; shift
  if acl_command "$verb" "$@"; then
    if [ "$verb" = --add ]; then log "ACL added for $1: $(acl_text "$@")"; else log "ACL removed for $1: $(acl_text "$@")"; fi
    changes=$((changes + 1))
  else
    failed "ACL for $1 ($(acl_text "$@"))" "$work/acl.out"
  fi
}

while IFS="$tab" read -r name authentication principal _; do
  [ -n "$name" ] || continue
  if ! kafka_acls --list --principal "$principal" > "$work/list.out" 2>&1; then
    if grep -q 'SecurityDisabledException' "$work/list.out"; then
      log_warn "the cluster has no authorizer: ACLs are neither read nor set"
      break
    fi
    failed "user $name: cannot list the ACLs of $principal" "$work/list.out"
    continue
  fi
  parse_acls < "$work/list.out" | awk -F"$tab" -v p="$principal" '$1 == p' | LC_ALL=C sort -u > "$work/live.tsv"
  awk -F"$tab" -v p="$principal" '$1 == p' "$KAFKAC_FILES_DIR/acls.tsv" | LC_ALL=C sort -u > "$work/spec.tsv"
  LC_ALL=C comm -13 "$work/live.tsv" "$work/spec.tsv" > "$work/add.tsv"
  LC_ALL=C comm -23 "$work/live.tsv" "$work/spec.tsv" > "$work/remove.tsv"
  while IFS="$tab" read -r p type pattern resource op host permission; do
    apply_acl --add "$p" "$type" "$pattern" "$resource" "$op" "$host" "$permission"
  done < "$work/add.tsv"
  while IFS="$tab" read -r p type pattern resource op host permission; do
    apply_acl --remove "$p" "$type" "$pattern" "$resource" "$op" "$host" "$permission"
  done < "$work/remove.tsv"
done < "$KAFKAC_FILES_DIR/users.tsv"

# --- quotas -------------------------------------------------------------------------------
quota_keys="producer_byte_rate consumer_byte_rate request_percentage controller_mutation_rate"
while IFS="$tab" read -r name authentication principal _; do
  [ -n "$name" ] || continue
  entity=${principal#User:}
  if ! kafka_configs --describe --entity-type users --entity-name "$entity" > "$work/quotas.out" 2>&1; then
    failed "user $name: cannot describe the quotas of $entity" "$work/quotas.out"
    continue
  fi
  add="" delete="" report=""
  for key in $quota_keys; do
    live=$(sed -n "s/^Quota configs for user-principal .* are //p" "$work/quotas.out" | tr ',' '\n' |
      sed -n "s/^ *$key=//p")
    want=$(awk -F"$tab" -v e="$entity" -v k="$key" '$1 == e && $2 == k { print $3 }' "$KAFKAC_FILES_DIR/quotas.tsv")
    if [ -z "$want" ]; then
      if [ -n "$live" ]; then delete="${delete:+$delete,}$key"; report="$report $key removed (was $live);"; fi
    elif [ -z "$live" ] || ! awk -v a="$live" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }'; then
      add="${add:+$add,}$key=$want"; report="$report $key=$want${live:+ (was $live)};"
    fi
  done
  [ -n "$add$delete" ] || continue
  set -- --alter --entity-type users --entity-name "$entity"
  [ -z "$add" ] || set -- "$@" --add-config "$add"
  [ -z "$delete" ] || set -- "$@" --delete-config "$delete"
  if kafka_configs "$@" > "$work/alter.out" 2>&1; then
    log "quotas of $entity:$report"
    changes=$((changes + 1))
  else
    failed "user $name: cannot set the quotas of $entity" "$work/alter.out"
  fi
done < "$KAFKAC_FILES_DIR/users.tsv"

if [ "$failures" -gt 0 ]; then
  log_error "$failures change(s) failed, $changes applied; the Job will try again"
  exit 1
fi
if [ "$changes" -eq 0 ]; then
  log "every user is as the spec says: nothing changed"
else
  log "$changes change(s) applied"
fi
