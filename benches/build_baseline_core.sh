#!/usr/bin/env bash
# Builds the native module `chargestack._core` as it was before issue 14 (the dict-based
# smart-charging functions under LimitApplier.apply), for bench_apply.py's "before" column.
# Usage: benches/build_baseline_core.sh [OUTPUT]   (default: target/baseline/_core.abi3.so)
set -euo pipefail
cd "$(dirname "$0")/.."
# The last commit of main before the typed boundary (issue 14).
BASELINE=db6fd70558fcd88f42cdc88546e67da90fe3e022
OUT="${1:-target/baseline/_core.abi3.so}"
WORK="$(mktemp -d)"
trap 'git worktree remove --force "$WORK/src" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
git worktree add --detach --quiet "$WORK/src" "$BASELINE"
# A target directory of its own, kept between runs, so a rebuild is incremental.
export CARGO_TARGET_DIR="$PWD/target/baseline-build"
maturin build --quiet --release --manifest-path "$WORK/src/rust/chargestack-py/Cargo.toml" \
    --out "$WORK/wheel"
mkdir -p "$(dirname "$OUT")"
python3 - "$WORK/wheel" "$OUT" <<'PY'
import sys, zipfile, pathlib
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("_core.abi3.so"))
    pathlib.Path(sys.argv[2]).write_bytes(z.read(name))
PY
echo "baseline _core ($BASELINE) -> $OUT"
