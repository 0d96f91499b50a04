#!/bin/sh
# Builds the C workloads (bench/workloads/*.c -> *.wasm) for freestanding wasm32 with clang: no
# libc (memset and memcpy become bulk-memory instructions), the `run(i32) -> i64` export only.
# The .wasm files are committed.
set -eu
cd "$(dirname "$0")"
for src in *.c; do
  clang --target=wasm32 -O2 -mbulk-memory -nostdlib -Wall -Werror -Wl,--no-entry -Wl,--export=run \
    -Wl,--strip-all -o "${src%.c}.wasm" "$src"
done
