#!/bin/sh
# validate.sh QUNSIM CORPUS [OUT] -- the rolling-origin evaluation of
# `make validate` (docs/calibration.md, "Validation on real groups"): every
# *.csv / *.csv.gz of CORPUS (the corpus format of ../shared/corpus/README.md:
# ts,group,sender,kind,text,bot) imported into one database, then
#   qunsim backtest --group all --every 28d --history 63d --days 28
# with qunsim's forecast beside the naive and Holt-Winters forecasts.  A
# benchmark, not a test: it prints the table and never fails on accuracy.
# VALIDATE_FLAGS adds backtest options (e.g. --reps 30, --classic).
set -eu
qs=$1
corpus=$2
out=${3:-build/validate}
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/qunsim-validate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
files=""
for f in "$corpus"/*.csv "$corpus"/*.csv.gz; do
    [ -f "$f" ] || continue
    case "$f" in
    *.gz) g="$tmp/$(basename "$f" .gz)"; gzip -dc "$f" > "$g"; files="$files $g" ;;
    *) files="$files $f" ;;
    esac
done
[ -n "$files" ] || { echo "validate: no *.csv or *.csv.gz in $corpus" >&2; exit 2; }
rm -f "$out/corpus.db"
# the corpus' times are UTC (its README); the day boundary is UTC too
# shellcheck disable=SC2086
"$qs" import csv $files --db "$out/corpus.db" --utc-offset +00:00 --quiet
# shellcheck disable=SC2086
"$qs" backtest --live "$out/corpus.db" --group all --every 28d --history 63d --days 28 ${VALIDATE_FLAGS:-} --quiet > "$out/backtest.txt"
sed -n '/origin(s) scored/,$p' "$out/backtest.txt"
echo "every origin: $out/backtest.txt"
