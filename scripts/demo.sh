#!/bin/sh
# demo.sh QUNSIM -- the main job: the reading club's 21-day check-in, both
# arms, results database and plots under out/, key metrics per arm, and the
# HTML report; the last line printed is the report's index.html.
set -e
bin=${1:-build/qunsim}
out=${QS_DEMO_OUT:-out}
echo "== qunsim demo: scenarios/reading_club.cfg (baseline vs checkin21)"
"$bin" check scenarios/reading_club.cfg > /dev/null
"$bin" run scenarios/reading_club.cfg --out "$out"
echo "== report: $bin report $out/results.db --out $out/report"
"$bin" report "$out/results.db" --out "$out/report" --quiet > /dev/null
echo "== done: results in $out/results.db. Where to look first:"
echo "   1. the report's Headline metrics: each arm against baseline, green = better for the group,"
echo "      red = worse; an After-effects note if the campaign leaves the group worse off"
echo "   2. Daily charts (speakers per day: the campaign's 21 days, then what stays)"
echo "   3. Campaign funnels (reached -> took part -> completed / shared)"
echo "   then docs/tutorial.md for your own group. The report (open in a browser):"
echo "$out/report/index.html"
