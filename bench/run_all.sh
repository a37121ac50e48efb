#!/usr/bin/env bash
# Every benchmark, or one: `bash bench/run_all.sh [search|labels|workflow|load|import [ARGS...]]`.
#
#   search    bench/search.py through bench/run.sh (its own databases and cores)
#   labels    bench/labels.py: stock CKAN and govshare, grants and permission labels
#   workflow  bench/workflow.py: 100,000 requests, inbox, authority queue, escalation job
#   load      bench/load.py: stock CKAN and govshare served by gunicorn, 10/50/100 clients
#   import    bench/import.py: the catalog spreadsheet import against `ckanapi load`
#
# Without a name all five run one after the other, with their defaults; ARGS go to the named
# one. Like bench/run.sh, each run starts from databases created anew and emptied Solr cores, and
# the cores are (re)loaded without restarting Solr, which others' tests may be using
# (scripts/lib.sh's fresh_site):
#
#   labels    databases and cores bench_labels_stock, bench_labels_govshare (+ _datastore db),
#             Redis databases 10 and 11, .stack/bench-labels-{stock,govshare}.ini
#   workflow  database and core bench_workflow (+ _datastore db), Redis database 12 (emptied:
#             the escalation job queues thousands of emails), .stack/bench-workflow.ini
#   load      databases and cores bench_load_stock, bench_load_govshare (+ _datastore db),
#             Redis databases 13 and 14, .stack/bench-load-{stock,govshare}.ini; gunicorn's
#             logs in .stack/bench-load-{stock,govshare}-gunicorn.log
#   import    databases and cores bench_import_import, bench_import_ckanapi (+ _datastore db),
#             Redis databases 8 and 9, .stack/bench-import-{import,ckanapi}.ini
# shellcheck disable=SC2119,SC2120  # run_labels/run_workflow/run_load get their arguments via "run_$name" "$@"
set -euo pipefail
LOG_TAG=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

run_labels() {
    fresh_site bench-labels-stock bench_labels_stock 10
    fresh_site bench-labels-govshare bench_labels_govshare 11
    (cd "$ROOT" && "$PY" bench/labels.py --stock-ini "$STACK/bench-labels-stock.ini" \
        --govshare-ini "$STACK/bench-labels-govshare.ini" "$@")
}

run_workflow() {
    fresh_site bench-workflow bench_workflow 12
    (cd "$ROOT" && "$PY" bench/workflow.py --ini "$STACK/bench-workflow.ini" "$@")
}

run_load() {
    fresh_site bench-load-stock bench_load_stock 13
    fresh_site bench-load-govshare bench_load_govshare 14
    (cd "$ROOT" && "$PY" bench/load.py --stock-ini "$STACK/bench-load-stock.ini" \
        --govshare-ini "$STACK/bench-load-govshare.ini" "$@")
}

run_import() {
    fresh_site bench-import-import bench_import_import 8
    fresh_site bench-import-ckanapi bench_import_ckanapi 9
    (cd "$ROOT" && "$PY" bench/import.py --import-ini "$STACK/bench-import-import.ini" \
        --ckanapi-ini "$STACK/bench-import-ckanapi.ini" "$@")
}

name="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$name" in
    search) bash "$ROOT/bench/run.sh" "$@" ;;
    labels|workflow|load|import)
        bash "$ROOT/scripts/stack.sh" services >&2
        "run_$name" "$@" ;;
    all)
        bash "$ROOT/bench/run.sh"
        run_labels
        run_workflow
        run_load
        run_import ;;
    *) echo "usage: $0 [search|labels|workflow|load|import [ARGS...]]" >&2; exit 2 ;;
esac
