# An IPv6 address, one a line in either case, as openssl prints one in a
# certificate's subject alternative names: eight groups of upper-case hex
# digits without leading zeros (2001:DB8:0:0:0:0:0:1). Exits 1 when a line is
# not one (or ends in an IPv4 address). Run by certs-names.sh, on the addresses
# the node certificate must cover and on those it covers.
function groups(text, into,   n, i, part) {
  if (text == "") return 0
  n = split(text, part, ":")
  for (i = 1; i <= n; i++) {
    if (part[i] !~ /^[0-9A-F][0-9A-F]?[0-9A-F]?[0-9A-F]?$/) exit 1
    sub(/^0+/, "", part[i]); into[i] = part[i] == "" ? "0" : part[i]
  }
  return n
}
{
  $0 = toupper($0)
  if (/:::/ || /[^0-9A-F:]/) exit 1
  gap = index($0, "::")
  if (gap) {
    left = groups(substr($0, 1, gap - 1), head); right = groups(substr($0, gap + 2), tail)
    if (left + right > 7) exit 1
    out = ""
    for (i = 1; i <= left; i++) out = out head[i] ":"
    for (i = 1; i <= 8 - left - right; i++) out = out "0" ":"
    for (i = 1; i <= right; i++) out = out tail[i] ":"
    print substr(out, 1, length(out) - 1)
  } else {
    if (groups($0, all) != 8) exit 1
    print all[1] ":" all[2] ":" all[3] ":" all[4] ":" all[5] ":" all[6] ":" all[7] ":" all[8]
  }
}
