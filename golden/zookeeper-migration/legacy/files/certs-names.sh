# Sourced by certs-issue.sh, after log.sh: the names and addresses the node
# certificate must cover. node_certificate_names sets required_names (DNS
# names) and required_ips (IP addresses, IPv6 as openssl prints them), each
# separated by blanks, from $KAFKAC_DNS_NAMES, $KAFKAC_EXTERNAL_DNS_NAMES,
# $KAFKAC_EXTERNAL_IP_ADDRESSES and the addresses certs-fetch.sh found
# ($existing/addresses).

contains() { # list, word
  case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac
}

# An IPv6 address as openssl prints it (ipv6-text.awk); fails when it is not one.
ipv6_text() { # address
  printf '%s\n' "$1" | awk -f "${0%/*}/ipv6-text.awk"
}

node_certificate_names() {
  # Names inside the cluster, each in the four forms it has there (the chart's
  # kafkac.inClusterDnsNames wrote them).
  required_names=""
  for name in $KAFKAC_DNS_NAMES; do
    case $name in
      ''|*[!a-z0-9.*-]*) fail "$name is not a DNS name" ;;
    esac
    required_names="$required_names $name"
  done

  # Addresses of external listeners, as clients outside the cluster reach them.
  for name in ${KAFKAC_EXTERNAL_DNS_NAMES:-}; do
    case $name in
      ''|*[!a-z0-9.-]*) fail "$name is not a DNS name" ;;
    esac
    required_names="$required_names $name"
  done
  required_ips=""
  for ip in ${KAFKAC_EXTERNAL_IP_ADDRESSES:-}; do
    case $ip in
      ''|*[!0-9a-fA-F.:]*) fail "$ip is not an IP address" ;;
      *:*) ipv6=$(ipv6_text "$ip") || fail "$ip is not an IP address"; ip=$ipv6 ;;
    esac
    required_ips="$required_ips $ip"
  done

  # Addresses the platform gave the listeners' Services and Routes (certs-fetch.sh
  # read them): IP addresses and DNS names, lower-cased, each once.
  if [ -f "$existing/addresses" ]; then
    while IFS= read -r address; do
      address=$(printf '%s' "$address" | tr 'A-Z' 'a-z')
      case $address in
        '') ;;
        *:*)
          if ipv6=$(ipv6_text "$address") && [ -n "$ipv6" ]; then
            contains "$required_ips" "$ipv6" || required_ips="$required_ips $ipv6"
          else
            log_warn "$address, an address of a listener's Service, is not added to the node" \
              "certificate: kafkac reads IPv6 addresses in hex groups only; pin the listener's address"
          fi ;;
        *[!0-9.]*)
          case $address in
            *[!a-z0-9.-]*|.*|*.) fail "a listener's Service or Route has the address $address, not a DNS name" ;;
          esac
          contains "$required_names" "$address" || required_names="$required_names $address" ;;
        *) contains "$required_ips" "$address" || required_ips="$required_ips $address" ;;
      esac
    done < "$existing/addresses"
  fi
}
