#!/bin/sh
# deps.sh -- make sure the Debian packages qunsim needs are present.
# Checks first (no network when everything is there); installs the missing
# ones with apt-get when run as root; otherwise says what to install.
set -e
need=""
pkg-config --version >/dev/null 2>&1 || need="$need pkg-config"
have() { pkg-config --exists "$1" 2>/dev/null; }
have gsl       || need="$need libgsl-dev"
have sqlite3   || need="$need libsqlite3-dev"
have libconfig || need="$need libconfig-dev"
have check     || need="$need check"
command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
# gnuplot only recommends a font; the plots' labels need one
dpkg -s fonts-liberation >/dev/null 2>&1 || need="$need fonts-liberation"
# ... and Chinese names need a CJK font (1.6 MB; fonts-noto-cjk is 57 MB):
# analysis/plot.h PLOT_FONT names it; without it they render as garbage
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need="$need fonts-wqy-microhei"
# tests/test_plot.c reads the Chinese back from a chart by OCR
for p in tesseract-ocr tesseract-ocr-chi-sim; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
# tests/test_report.c screenshots the demo report in headless Chromium
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v sqlite3 >/dev/null 2>&1 || need="$need sqlite3"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
# MPI build (build/qunsim-mpi) and its test under mpirun: Open MPI
for p in openmpi-bin libopenmpi-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
# notebooks/ (run headless by the tests): pandas, matplotlib, nbconvert, a kernel
# and the notebook server of notebooks/README.md (jupyter notebook)
for p in python3-pandas python3-matplotlib jupyter-nbconvert python3-ipykernel jupyter-notebook; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
# `deps.sh fuzz` (make fuzz): clang and its libFuzzer runtime as well; the
# normal build and `make test` never need them
if [ "$1" = fuzz ]; then
    command -v clang >/dev/null 2>&1 || need="$need clang"
    if command -v clang >/dev/null 2>&1; then
        probe=$(mktemp -d)
        echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$probe/p.c"
        if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
            need="$need libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
        fi
        rm -rf "$probe"
    else
        need="$need libclang-rt-dev"
    fi
fi
[ -n "$QS_EXTRA_PKGS" ] && for p in $QS_EXTRA_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"; done
[ -z "$need" ] && exit 0
echo "deps: missing:$need" >&2
if [ "$(id -u)" != 0 ]; then
    echo "deps: run as root, or: sudo apt-get install$need" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >&2
