#!/bin/bash
# Finds the addresses a broker advertises that exist only once Kubernetes or
# the platform has made them, and writes them for kafka-run.sh.
#
# Init container `kafka-address` (the kubectl image) of the broker pods of a
# pool with a "loadbalancer", "nodeport" or "route" listener whose address the
# spec does not pin. For each entry of $KAFKAC_DISCOVER, <listener id>:<type>:
# <listener name>:<preferred node address type or ->:<node ids, comma-separated>
# that names this broker's node id, it reads the pod's own Service or Route
# <statefulset>-<listener name>-<node id>:
#
#   loadbalancer  the load balancer's first ingress IP, else its host name, and
#                 the Service port; it waits (up to $KAFKAC_ADDRESS_WAIT_SECONDS)
#                 until the platform has assigned one
#   nodeport      the Service's node port, and an address of the node the pod
#                 runs on: the preferred type, then ExternalDNS, ExternalIP,
#                 Hostname, InternalDNS, InternalIP (Strimzi's order)
#   route         the host OpenShift gave the Route (its spec.host, else the
#                 first router's status.ingress host), and port 443
#
# and writes "<listener id> <host> <port>" lines to
# $KAFKAC_ADDRESS_DIR/advertised-addresses. What the spec pins (in the pool's
# ConfigMap) takes precedence in kafka-run.sh. Values read from the API are
# checked to be a host or a port and used as data, never evaluated.
set -euo pipefail

: "${POD_NAME:?}" "${POD_NAMESPACE:?}" "${KAFKAC_DISCOVER:?}" "${KAFKAC_ADDRESS_DIR:?}"
wait_seconds=${KAFKAC_ADDRESS_WAIT_SECONDS:-600}
node_id=${POD_NAME##*-}
statefulset=${POD_NAME%-*}
deadline=$(($(date +%s) + wait_seconds))

log_name=kafka-address
. "${0%/*}/log.sh"

service_field() { # service, jsonpath
  kubectl get service "$1" --namespace "$POD_NAMESPACE" -o "jsonpath=$2"
}

route_host() { # route
  local host
  host=$(kubectl get route "$1" --namespace "$POD_NAMESPACE" -o 'jsonpath={.spec.host}')
  if [ -n "$host" ]; then echo "$host"; else
    kubectl get route "$1" --namespace "$POD_NAMESPACE" -o 'jsonpath={.status.ingress[0].host}'
  fi
}

load_balancer_host() { # service
  local ip
  ip=$(service_field "$1" '{.status.loadBalancer.ingress[0].ip}')
  if [ -n "$ip" ]; then echo "$ip"; else service_field "$1" '{.status.loadBalancer.ingress[0].hostname}'; fi
}

node_address() { # preferred address type or -
  : "${NODE_NAME:?NODE_NAME must be set from spec.nodeName}"
  local addresses type kind address
  addresses=$(kubectl get node "$NODE_NAME" -o 'jsonpath={range .status.addresses[*]}{.type}{" "}{.address}{"\n"}{end}')
  for type in "$1" ExternalDNS ExternalIP Hostname InternalDNS InternalIP; do
    while read -r kind address; do
      if [ "$kind" = "$type" ] && [ -n "$address" ]; then echo "$address"; return; fi
    done <<<"$addresses"
  done
}

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# Runs "$@" until it prints something, logging once a round (with the API's
# error, if any); fails at the deadline.
wait_for() { # description, command...
  local what=$1 value why
  shift
  while true; do
    value=$("$@" 2>"$errors" || true)
    if [ -n "$value" ]; then echo "$value"; return; fi
    why=$(head -n 1 "$errors")
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail "gave up after ${wait_seconds}s waiting for $what${why:+: $why}"
    fi
    log "waiting for $what${why:+: $why}" >&2 # stdout is wait_for's answer
    sleep 5
  done
}

check_host() { # value, what
  [[ $1 =~ ^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$ ]] || fail "$2 is not a host name or IP address: $1"
}

check_port() { # value, what
  [[ $1 =~ ^[0-9]{1,5}$ ]] || fail "$2 is not a port: $1"
}

found=""
for entry in $KAFKAC_DISCOVER; do
  IFS=: read -r listener type name preferred nodes <<<"$entry"
  [[ ,$nodes, == *,$node_id,* ]] || continue
  service=$statefulset-$name-$node_id
  object="Service $service"
  case $type in
    loadbalancer)
      host=$(wait_for "the load balancer address of Service $service" load_balancer_host "$service")
      port=$(wait_for "the port of Service $service" service_field "$service" '{.spec.ports[0].port}')
      ;;
    nodeport)
      port=$(wait_for "the node port of Service $service" service_field "$service" '{.spec.ports[0].nodePort}')
      [ "$preferred" != - ] || preferred=ExternalDNS
      host=$(wait_for "an address of node ${NODE_NAME:-}" node_address "$preferred")
      ;;
    route)
      object="Route $service"
      host=$(wait_for "the host of Route $service" route_host "$service")
      port=443
      ;;
    *) fail "cannot find addresses of a $type listener" ;;
  esac
  check_host "$host" "the address of $object"
  check_port "$port" "the port of $object"
  log "listener $listener: $host:$port ($object)"
  found+="$listener $host $port"$'\n'
done

printf '%s' "$found" > "$KAFKAC_ADDRESS_DIR/advertised-addresses.new"
mv "$KAFKAC_ADDRESS_DIR/advertised-addresses.new" "$KAFKAC_ADDRESS_DIR/advertised-addresses"
