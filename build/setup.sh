#!/usr/bin/env bash
# Installs what cbox needs on Debian 12 + Node 20: the C -> WASI toolchain and the lz4 tool the
# tests compare with, from apt (when missing), and the npm dependencies (npm ci). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc)
have_toolchain() {
  command -v clang-19 >/dev/null && command -v wasm-ld-19 >/dev/null &&
    [ -f /usr/include/wasm32-wasi/stdlib.h ] && [ -f /usr/lib/wasm32-wasi/libc.a ] &&
    [ -f /usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a ]
}

missing=()
have_toolchain || missing+=("${packages[@]}")
# The lz4 command-line tool: the outside reference test/lz4.test.ts checks the lz4 wrap against.
command -v lz4 >/dev/null || missing+=(lz4)

if [ ${#missing[@]} -gt 0 ]; then
  echo "cbox setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "cbox setup: run as root, or: apt-get install -y ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Third-party C from Debian source packages: libdeflate (in cbox/zlib), md4c and lz4 (the tests wrap them).
bash build/debian-sources.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "cbox setup: npm ci"
  npm ci --no-audit --no-fund
fi
