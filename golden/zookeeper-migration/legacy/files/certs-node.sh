# Sourced by certs-issue.sh, after certs-ca.sh and certs-names.sh: the node
# certificate in Secret $node_secret, issued with the cluster CA's key
# (issue_node_certificate) or, with a CA of type cert-manager.io, copied from
# cert-manager's (copy_node_certificate).

# Sets missing to the names and addresses the node certificate ($leaf_info)
# does not cover, and reason when there are any.
node_names_missing() {
  present=$(echo "$leaf_info" | sed -n 's/^dns //p')
  missing=""
  for name in $required_names; do
    if ! echo "$present" | grep -qxF "$name"; then missing="$missing $name"; fi
  done
  present_ips=""
  for ip in $(echo "$leaf_info" | sed -n 's/^ip //p'); do
    case $ip in
      *:*) ip=$(ipv6_text "$ip") || continue ;;
    esac
    present_ips="$present_ips$ip
"
  done
  for ip in $required_ips; do
    if ! echo "$present_ips" | grep -qxF "$ip"; then missing="$missing $ip"; fi
  done
  [ -z "$missing" ] || reason="its certificate does not cover these names:$missing"
}

# The node certificate that cert-manager issued, with Strimzi's keys.
copy_node_certificate() {
  issued_leaf "node certificate" "$node_secret" node.crt node sslserver node.crt node.p12 node.password
  # The Certificate asks for every name known when the chart renders; the
  # platform's addresses (load balancers, Routes) come later and are not in it.
  copy_reason=$reason
  node_names_missing
  reason=$copy_reason
  [ -z "$missing" ] || log_warn "node certificate: cert-manager's does not cover these addresses the" \
    "platform gave the listeners:$missing; pin them in the listeners' configuration (host," \
    "loadBalancerIP, alternativeNames) for the chart's Certificate to ask for them"
  if [ -z "$reason" ]; then
    log "node certificate: kept (Secret $node_secret holds cert-manager's, valid until $(utc_date "$leaf_until"))"
    return
  fi
  leaf_password=$(new_password)
  mkdir -p "$new/$node_secret/data"
  pem_key_store "$scratch/node.chain" "$scratch/node.key" "$new/$node_secret/data/node.p12" node \
    "$leaf_password" "Secret $node_secret-cm"
  cp "$scratch/node.crt" "$new/$node_secret/data/node.crt"
  printf '%s' "$leaf_password" > "$new/$node_secret/data/node.password"
  queue_leaf_secret "node certificate" "$node_secret"
}

# The node certificate, issued here with the cluster CA's key when it is due.
issue_node_certificate() {
  cluster_leaf_reason "node certificate" "$node_secret" node.crt "$KAFKAC_RENEWAL_DAYS" node_names_missing \
    node.crt node.p12 node.password
  if [ -z "$reason" ]; then
    log "node certificate: kept (Secret $node_secret is current, valid until $(utc_date "$leaf_until"))"
    return
  fi
  sans=""
  for name in $required_names; do sans="${sans:+$sans,}DNS:$name"; done
  for ip in $required_ips; do sans="$sans,IP:$ip"; done
  issue_leaf node "$KAFKAC_NODE_SUBJECT" "$KAFKAC_VALIDITY_DAYS" "serverAuth, clientAuth" "$sans"
  mkdir -p "$new/$node_secret/data"
  cp "$leaf_store" "$new/$node_secret/data/node.p12"
  cp "$scratch/node.crt" "$new/$node_secret/data/node.crt"
  printf '%s' "$leaf_password" > "$new/$node_secret/data/node.password"
  queue_leaf_secret "node certificate" "$node_secret"
  log "node certificate: $KAFKAC_NODE_SUBJECT, valid $days days, for:$required_names"
}
