#!/usr/bin/env bash
# Sets up a fresh machine (Python 3.11 + a Rust toolchain + the package registries) and runs
# every test and every lint of chargestack. This is the command README gives and CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${CHARGESTACK_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Editable install: maturin builds the Rust extension into the source tree (incremental).
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'
export PATH="$PWD/$VENV/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo test"
cargo test --workspace --quiet
step "ruff check"
ruff check python tests benches
step "ruff format --check"
ruff format --check python tests benches
step "mypy --strict (package)"
mypy --strict python/chargestack
step "stubtest (native module stub)"
python -m mypy.stubtest chargestack._core
step "lint-imports (the layers, pyproject.toml [tool.importlinter])"
lint-imports
step "pytest"
pytest -q -p no:cacheprovider
if [ "${CHARGESTACK_SKIP_AARCH64:-0}" != 1 ]; then
    step "aarch64 smoke (wheel, firmware images, demo and an update under qemu)"
    ./scripts/aarch64-smoke.sh
fi
