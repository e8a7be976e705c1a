log() { printf '%s %s [metrics-agent] metrics-agent: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$@"; }
set -f
for pattern in $KAFKAC_AGENT_SOURCE; do
  set +f
  set -- $pattern
  set -f
  if [ ! -f "$1" ]; then
    log ERROR "expected one file or more matching $pattern, found none" >&2
    exit 1
  fi
  if [ -n "${KAFKAC_AGENT_JAR:-}" ] && [ "$#" -ne 1 ]; then
    log ERROR "expected one file matching $pattern, found: $*" >&2
    exit 1
  fi
  for file in "$@"; do
    target="$KAFKAC_AGENT_DIR/${KAFKAC_AGENT_JAR:-${file##*/}}"
    cp "$file" "$target"
    log INFO "copied $file to $target"
  done
done
