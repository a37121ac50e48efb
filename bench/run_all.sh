#!/usr/bin/env bash
# Every benchmark, or one: `bash bench/run_all.sh [search|labels|workflow [ARGS...]]`.
#
#   search    bench/search.py through bench/run.sh, unchanged (its own databases and cores)
#   labels    bench/labels.py: stock CKAN and govshare, grants and permission labels
#   workflow  bench/workflow.py: 100,000 requests, inbox, authority queue, escalation job
#
# Without a name all three run one after the other, with their defaults; ARGS go to the named
# one. Like bench/run.sh, each run starts from databases created anew and emptied Solr cores, and
# the cores are (re)loaded without restarting Solr, which others' tests may be using:
#
#   labels    databases and cores bench_labels_stock, bench_labels_govshare (+ _datastore db),
#             Redis databases 10 and 11, .stack/bench-labels-{stock,govshare}.ini
#   workflow  database and core bench_workflow (+ _datastore db), Redis database 12 (emptied:
#             the escalation job queues thousands of emails), .stack/bench-workflow.ini
# shellcheck disable=SC2119,SC2120  # run_labels/run_workflow get their arguments via "run_$name" "$@"
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# bench/run.sh's helpers (pg_psql, fresh_db, fresh_datastore_db, empty_core, write_ini, quiet,
# migrate): its lines up to the setup it runs for search.py, so there is one copy of them.
# shellcheck disable=SC1090
source <(sed '/^bash "\$ROOT\/scripts\/stack.sh" services$/,$d' "$HERE/run.sh")
ROOT="$(cd "$HERE/.." && pwd)"  # what run.sh computed from its own path
STACK="$ROOT/.stack"
PY="$ROOT/.venv/bin/python"
# shellcheck disable=SC2034  # used by run.sh's helpers
CKAN="$ROOT/.venv/bin/ckan"
for helper in log fresh_db fresh_datastore_db empty_core write_ini migrate; do
    declare -F "$helper" >/dev/null || { echo "bench/run.sh no longer defines $helper(); update $0" >&2; exit 1; }
done

SOLR_HOME="$STACK/solr/home"

# ensure_core NAME stock|govshare: like `scripts/solr.sh cores`, which only knows the cores in its
# CORES list: fresh conf (CKAN's schema.xml for stock, solr/make_schema.py's for govshare), then
# RELOAD the core, or CREATE it when this Solr does not have it.
ensure_core() {
    local conf="$SOLR_HOME/$1/conf" url
    url="http://127.0.0.1:$(cat "$STACK/solr/port")/solr/admin/cores?wt=json&core=$1&name=$1"
    mkdir -p "$conf"
    cp "$ROOT/solr/solrconfig.xml" "$conf/solrconfig.xml"
    if [[ $2 == stock ]]; then
        cp "$("$PY" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"))')" "$conf/schema.xml"
        touch "$conf/protwords.txt" "$conf/synonyms.txt"  # referenced by CKAN's schema
    else
        "$PY" "$ROOT/solr/make_schema.py" "$conf" >/dev/null
    fi
    if curl -fsS --max-time 60 "$url&action=STATUS" | grep -q '"instanceDir"'; then
        curl -fsS --max-time 120 "$url&action=RELOAD" | grep -q '"status":0'
    else
        rm -f "$SOLR_HOME/$1/core.properties"  # CREATE writes it; refuses if it exists
        curl -fsS --max-time 120 "$url&action=CREATE&instanceDir=$SOLR_HOME/$1" | grep -q '"status":0'
        log "created Solr core $1"
    fi
}

flush_redis() { # DB...
    local db
    for db in "$@"; do redis-cli -p "$(cat "$STACK/redis/port")" -n "$db" FLUSHDB >/dev/null; done
}

datastore_lines() { # DATABASE
    local pg_port; pg_port=$(cat "$STACK/pg/port")
    printf '%s\n' "ckan.datastore.write_url = postgresql://ckan:ckan@127.0.0.1:$pg_port/${1}_datastore" \
        "ckan.datastore.read_url = postgresql://datastore_ro:datastore@127.0.0.1:$pg_port/${1}_datastore"
}

fresh_site() { # INI-NAME USE DATABASE REDIS-DB stock|govshare [EXTRA LINES]
    log "fresh database and index for $3"
    ensure_core "$3" "$5"
    write_ini "$1" "$2" "$3" "$4" "${6:-}"
    fresh_db "$3"
    empty_core "$3"
    flush_redis "$4"
    [[ $5 == stock ]] || fresh_datastore_db "${3}_datastore" "$STACK/$1.ini"
    migrate "$STACK/$1.ini"
}

run_labels() {
    fresh_site bench-labels-stock egg:ckan bench_labels_stock 10 stock "ckan.plugins = activity"
    fresh_site bench-labels-govshare "config:$ROOT/config/common.ini" bench_labels_govshare 11 govshare \
        "$(datastore_lines bench_labels_govshare)"
    (cd "$ROOT" && "$PY" bench/labels.py --stock-ini "$STACK/bench-labels-stock.ini" \
        --govshare-ini "$STACK/bench-labels-govshare.ini" "$@")
}

run_workflow() {
    fresh_site bench-workflow "config:$ROOT/config/common.ini" bench_workflow 12 govshare \
        "$(datastore_lines bench_workflow)"
    (cd "$ROOT" && "$PY" bench/workflow.py --ini "$STACK/bench-workflow.ini" "$@")
}

name="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$name" in
    search) bash "$HERE/run.sh" "$@" ;;
    labels|workflow)
        bash "$ROOT/scripts/stack.sh" services >&2
        "run_$name" "$@" ;;
    all)
        bash "$HERE/run.sh"
        run_labels
        run_workflow ;;
    *) echo "usage: $0 [search|labels|workflow [ARGS...]]" >&2; exit 2 ;;
esac
