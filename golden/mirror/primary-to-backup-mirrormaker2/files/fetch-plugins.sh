#!/bin/sh
# Fetches the connector plugins of a Kafka Connect build into the image: the build
# context's one step that touches the network. Run by the Containerfile beside it.
#
# Each line of the list is `<plugin> <type> <file name> <sha512 or -> <url>`
# (kafkac writes it; no field holds a blank). Every artifact is downloaded into
# a scratch folder and, when the line has a checksum, refused unless its SHA-512
# matches: the build fails and no image is made. A jar (or maven artifact, or
# other) goes into <plugins dir>/<plugin>/ under its file name; a tgz or zip is
# unpacked there.
set -eu

list=${1:?usage: fetch-plugins.sh LIST PLUGINS_DIR}
plugins_dir=${2:?usage: fetch-plugins.sh LIST PLUGINS_DIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

say() { printf '%s fetch-plugins: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { say "ERROR $*" >&2; exit 1; }

download() { # url, file
  if command -v curl > /dev/null 2>&1; then
    curl --fail --silent --show-error --location --proto '=https,http' --output "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

count=0
while read -r plugin type name checksum url; do
  case $plugin in ''|'#'*) continue ;; esac
  [ -n "$url" ] || fail "line for plugin $plugin has no URL"
  file="$scratch/$name"
  download "$url" "$file" || fail "$plugin: cannot download $url"
  if [ "$checksum" != "-" ]; then
    actual=$(sha512sum "$file" | cut -d ' ' -f 1)
    [ "$actual" = "$checksum" ] || fail "$plugin: $name from $url has SHA-512 $actual, not $checksum as the spec pins it; refusing to build"
  fi
  target="$plugins_dir/$plugin"
  mkdir -p "$target"
  case $type in
    tgz) tar -xzf "$file" -C "$target" ;;
    zip) unzip -q -o "$file" -d "$target" ;;
    *) cp "$file" "$target/$name" ;;
  esac
  rm -f "$file"
  count=$((count + 1))
  say "$plugin: $name ($type) $( [ "$checksum" = "-" ] && echo 'without a checksum' || echo 'checksum matches')"
done < "$list"
say "fetched $count artifact(s) into $plugins_dir"
