#!/bin/sh
# Builds the WASI test programs (tests/wasi/*.c -> tests/wasi/*.wasm) and the example program
# (examples/wordcount.c) with clang for wasm32-wasi. The built .wasm files are committed, so
# `cargo test` needs no C toolchain.
#   tests/wasi/build.sh          rebuild them
#   tests/wasi/build.sh --check  fail if a committed .wasm differs from a fresh build
# Needs (Debian): clang lld wasi-libc libclang-rt-14-dev-wasm32
set -eu
cd "$(dirname "$0")"
CC=${CC:-clang}
out=.
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
for src in *.c ../../examples/wordcount.c; do
  name=${src%.c}
  built="$out/$(basename "$name").wasm"
  "$CC" --target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-all -o "$built" "$src"
  if [ "$out" = . ]; then
    [ "$built" = "./$name.wasm" ] || mv "$built" "$name.wasm"
  elif ! cmp -s "$built" "$name.wasm"; then
    echo "$name.wasm is out of date: run tests/wasi/build.sh" >&2
    exit 1
  fi
done
