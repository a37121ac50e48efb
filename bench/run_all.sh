#!/usr/bin/env bash
# Every benchmark, or one: `bash bench/run_all.sh [search|labels|workflow [ARGS...]]`.
#
#   search    bench/search.py through bench/run.sh (its own databases and cores)
#   labels    bench/labels.py: stock CKAN and govshare, grants and permission labels
#   workflow  bench/workflow.py: 100,000 requests, inbox, authority queue, escalation job
#
# Without a name all three run one after the other, with their defaults; ARGS go to the named
# one. Like bench/run.sh, each run starts from databases created anew and emptied Solr cores, and
# the cores are (re)loaded without restarting Solr, which others' tests may be using
# (scripts/lib.sh's fresh_site):
#
#   labels    databases and cores bench_labels_stock, bench_labels_govshare (+ _datastore db),
#             Redis databases 10 and 11, .stack/bench-labels-{stock,govshare}.ini
#   workflow  database and core bench_workflow (+ _datastore db), Redis database 12 (emptied:
#             the escalation job queues thousands of emails), .stack/bench-workflow.ini
# shellcheck disable=SC2119,SC2120  # run_labels/run_workflow get their arguments via "run_$name" "$@"
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

name="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$name" in
    search) bash "$ROOT/bench/run.sh" "$@" ;;
    labels|workflow)
        bash "$ROOT/scripts/stack.sh" services >&2
        "run_$name" "$@" ;;
    all)
        bash "$ROOT/bench/run.sh"
        run_labels
        run_workflow ;;
    *) echo "usage: $0 [search|labels|workflow [ARGS...]]" >&2; exit 2 ;;
esac
