# An IPv6 address, one a line in lower case, as keytool prints it: eight groups
# of hex digits without leading zeros (2001:db8:0:0:0:0:0:1). Exits 1 when a
# line is not one (or ends in an IPv4 address). Run by certs-names.sh.
function groups(text, into,   n, i, part) {
  if (text == "") return 0
  n = split(text, part, ":")
  for (i = 1; i <= n; i++) {
    if (part[i] !~ /^[0-9a-f][0-9a-f]?[0-9a-f]?[0-9a-f]?$/) exit 1
    sub(/^0+/, "", part[i]); into[i] = part[i] == "" ? "0" : part[i]
  }
  return n
}
{
  if (/:::/ || /[^0-9a-f:]/) exit 1
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
