#!/bin/sh
# run_notebooks.sh RUN_DB OTHER_DB OUTDIR -- execute every notebook in
# notebooks/ headless (jupyter nbconvert --execute), as the test suite does:
# 01 and 02 on RUN_DB (a small `qunsim run`), 03 and 04 on OTHER_DB (a sweep,
# an imported log and a forecast) and once more on RUN_DB, where they must
# say that the data are missing and stop cleanly.  Executed notebooks
# (OUTDIR/run/, OUTDIR/other/), logs and kernel files go under OUTDIR;
# nothing is written into the repository.
# Exit status: 0, or 1 naming what failed.
set -u
run_db=$1; other_db=$2; out=$3
nbdir=$(cd "$(dirname "$0")/../notebooks" && pwd)
mkdir -p "$out/jupyter" || exit 1
# kernel connection files under OUTDIR; matplotlib and IPython keep their
# caches where they normally do (the font cache takes seconds to rebuild)
export JUPYTER_RUNTIME_DIR="$out/jupyter"
if ! command -v jupyter >/dev/null 2>&1; then
    echo "run_notebooks: jupyter not found (make deps installs jupyter-nbconvert)" >&2
    exit 1
fi
failed=""
# One nbconvert per database (each notebook still gets a fresh kernel).
run() { # TAG DB NOTEBOOK...
    tag=$1; db=$2; shift 2
    for nb in "$@"; do set -- "$@" "$nbdir/$nb"; shift; done
    if QS_DB="$db" jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
        --output-dir "$out/$tag" "$@" > "$out/$tag.log" 2>&1; then
        echo "notebooks on $tag: ok ($*)"
    else
        echo "notebooks on $tag: FAILED; the end of $out/$tag.log:" >&2
        tail -n 40 "$out/$tag.log" >&2
        failed="$failed $tag"
    fi
}
run run "$run_db" 01_explore_run.ipynb 02_compare_arms.ipynb 03_sweep.ipynb 04_forecast_vs_live.ipynb
run other "$other_db" 03_sweep.ipynb 04_forecast_vs_live.ipynb
for nb in "$nbdir"/*.ipynb; do # every notebook must have been run
    ls "$out"/*/"$(basename "$nb" .ipynb)"*.ipynb >/dev/null 2>&1 || failed="$failed $(basename "$nb")(never-run)"
done
[ -z "$failed" ] && exit 0
echo "run_notebooks: failed:$failed" >&2
exit 1
