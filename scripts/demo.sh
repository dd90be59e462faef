#!/bin/sh
# demo.sh QUNSIM -- the main job: the reading club's 21-day check-in, both
# arms, results database and plots under out/, key metrics per arm.
set -e
bin=${1:-build/qunsim}
out=${QS_DEMO_OUT:-out}
echo "== qunsim demo: scenarios/reading_club.cfg (baseline vs checkin21)"
"$bin" check scenarios/reading_club.cfg > /dev/null
"$bin" run scenarios/reading_club.cfg --out "$out"
echo "== done: results in $out/results.db, plot $out/reading_club_dau.png"
