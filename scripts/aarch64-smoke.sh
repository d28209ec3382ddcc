#!/usr/bin/env bash
# chargestack on aarch64, checked from an x86_64 development machine of this kind:
#   1. builds the aarch64 abi3 wheel (maturin + zig from PyPI, the rustup target);
#   2. builds aarch64 firmware images from it (chargestack firmware build-image);
#   3. unpacks an arm64 Debian root without emulating its installer (debootstrap --foreign,
#      then dpkg-deb -x of the downloaded packages) and runs `chargestack demo` in it under
#      qemu-aarch64-static;
#   4. updates an emulated station from one aarch64 image to the next (needs binfmt_misc
#      for qemu, which it registers when it can; otherwise it says why it cannot).
# It installs what it needs (Debian: qemu-user-static, debootstrap, binfmt-support; PyPI:
# maturin, ziglang; rustup: the aarch64 target) and keeps its work in target/aarch64-smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="${AARCH64_SMOKE_DIR:-$REPO/target/aarch64-smoke}"
ROOT="$WORK/arm64-root"
PLATFORM=manylinux_2_28_aarch64
TARGET_PY=3.11
VENV="${CHARGESTACK_VENV:-.venv}"
mkdir -p "$WORK"
step() { printf '\n== [%4ss] %s\n' "$SECONDS" "$*"; }

step "tools: Debian packages, the rustup target, maturin and ziglang"
# What this machine cannot provide (no root for apt, no rustup target, no registry) skips the
# smoke with the reason; a failure of chargestack itself after this point fails it.
unavailable() {
    echo "aarch64 smoke SKIPPED: $*"
    exit 0
}
missing=()
command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v update-binfmts >/dev/null || missing+=(binfmt-support)
if [ ${#missing[@]} -gt 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
        >/dev/null 2>&1 || unavailable "could not install ${missing[*]} from Debian"
fi
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
    || rustup target add aarch64-unknown-linux-gnu >/dev/null 2>&1 \
    || unavailable "the rustup target aarch64-unknown-linux-gnu is not installed and cannot be fetched"
if [ ! -x "$WORK/tools/bin/maturin" ]; then
    { python3 -m venv "$WORK/tools" && "$WORK/tools/bin/pip" install -q maturin ziglang; } \
        || unavailable "maturin and ziglang could not be installed from PyPI"
fi
# The host side (build-image; the update drives the station with the test suite's servers).
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q -e '.[dev]'
"$WORK/tools/bin/maturin" --version
qemu-aarch64-static --version | head -n 1

step "aarch64 wheel: maturin build --release --target aarch64-unknown-linux-gnu --zig"
rm -rf "$WORK/dist"
# maturin finds zig through `python3 -m ziglang`: the tools environment goes first on PATH.
PATH="$WORK/tools/bin:$PATH" maturin build --quiet --release \
    --target aarch64-unknown-linux-gnu --zig --compatibility manylinux_2_28 -o "$WORK/dist"
WHEEL=$(ls "$WORK"/dist/chargestack-*-cp311-abi3-manylinux_2_28_aarch64.whl)
VERSION=$(basename "$WHEEL" | cut -d- -f2)
NEXT="$VERSION.post1"
NEXT_WHEEL=$("$VENV/bin/python" tests/wheel_tools.py reversion "$WHEEL" "$NEXT" "$WORK/dist/next")
ls -l "$WHEEL" "$NEXT_WHEEL"

step "aarch64 firmware images $VERSION and $NEXT (pip downloads the $PLATFORM wheels)"
for pair in "$VERSION:$WHEEL" "$NEXT:$NEXT_WHEEL"; do
    "$VENV/bin/chargestack" firmware build-image --version "${pair%%:*}" --platform "$PLATFORM" \
        --python-version "$TARGET_PY" --wheel "${pair#*:}" -o "$WORK/images/chargestack-${pair%%:*}.tar.gz"
done

step "arm64 Debian root: debootstrap --foreign, dpkg-deb -x (no emulated installer)"
if [ ! -x "$ROOT/usr/bin/python3.11" ]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    rm -rf "$ROOT"
    debootstrap --foreign --arch=arm64 --variant=minbase --include=python3.11 bookworm "$ROOT" \
        "${mirror:-http://deb.debian.org/debian}" >"$WORK/debootstrap.log"
    for deb in "$ROOT"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
fi
PY="$ROOT/usr/bin/python3.11"
export QEMU_LD_PREFIX="$ROOT"
qemu-aarch64-static -L "$ROOT" "$PY" -c 'import platform, sys; print(platform.machine(), sys.version.split()[0])'

step "chargestack $VERSION and its aarch64 dependencies into a site directory"
SITE="$WORK/site-$VERSION"
rm -rf "$SITE"
platforms=$("$VENV/bin/python" -c "from chargestack.deploy.image_build import compatible_platforms as c; print(' '.join('--platform ' + t for t in c('$PLATFORM')))")
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install -q --only-binary=:all: $platforms --python-version "$TARGET_PY" \
    --implementation cp --target "$SITE" "$WHEEL[demo]"

step "chargestack demo under qemu-aarch64-static"
PYTHONPATH="$SITE" qemu-aarch64-static -L "$ROOT" "$PY" -c \
    'import chargestack, chargestack._core as c, platform; print("chargestack", chargestack.__version__, "core", c.__version__, "on", platform.machine())'
PYTHONPATH="$SITE" timeout 1800 qemu-aarch64-static -L "$ROOT" "$PY" -m chargestack.cli demo

step "firmware update $VERSION -> $NEXT of an emulated station"
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && [ -e /proc/sys/fs/binfmt_misc/register ]; then
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || ! "$PY" -c pass 2>/dev/null; then
    echo "not feasible here: the update starts aarch64 processes (pip, the new slot's interpreter"
    echo "by exec), which needs qemu registered in binfmt_misc, and this machine does not allow it."
    echo "aarch64 smoke: wheel, images and demo passed; update skipped (see above)"
    exit 0
fi
timeout 3600 "$VENV/bin/python" scripts/aarch64_update.py "$PY" "$SITE" \
    "$WORK/images/chargestack-$NEXT.tar.gz" "$NEXT"
echo "aarch64 smoke: wheel, images, demo and update $VERSION -> $NEXT passed in ${SECONDS}s"
