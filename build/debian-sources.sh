#!/usr/bin/env bash
# Third-party C that cbox builds (libdeflate inside cbox/zlib; md4c and lz4, which the tests
# wrap) comes from Debian's source packages at set-up time, never from this repository:
# `apt-get source --tar-only` fetches the upstream tarball Debian ships, unpacked into
# third-party/<package>/. Needs a deb-src entry, added here
# (as its own file) when apt has none. Safe to run again: a package already unpacked is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(md4c lz4 libdeflate)
missing=()
for package in "${packages[@]}"; do [ -d "third-party/$package" ] || missing+=("$package"); done
[ ${#missing[@]} -gt 0 ] || exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "cbox setup: run as root to fetch ${missing[*]} sources from Debian" >&2; exit 1; }
  sudo="sudo"
fi
if ! grep -rqsE '^(Types: *deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "cbox setup: adding a deb-src entry (/etc/apt/sources.list.d/cbox-deb-src.sources)"
  $sudo tee /etc/apt/sources.list.d/cbox-deb-src.sources >/dev/null <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  $sudo apt-get update -q
fi

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
chmod 755 "$download"
mkdir -p third-party
for package in "${missing[@]}"; do
  echo "cbox setup: apt-get source $package (upstream tarball)"
  (cd "$download" && apt-get source -q --tar-only "$package" >/dev/null 2>&1) || { echo "cbox setup: apt-get source $package failed" >&2; exit 1; }
  tarball=$(ls "$download"/"${package}"_*.orig.tar.* | head -n 1)
  mkdir -p "third-party/$package.tmp"
  tar -xf "$tarball" -C "third-party/$package.tmp" --strip-components=1
  mv "third-party/$package.tmp" "third-party/$package"
done
