#!/usr/bin/env bash
# Stock CKAN and govshare side by side on the same data: `bash bench/run.sh [search.py args]`.
#
# Each run starts from empty databases (bench_stock, bench_govshare and govshare's DataStore
# database bench_govshare_datastore) and empty Solr cores of the same names, so its figures do
# not depend on earlier runs. The cores are (re)loaded without restarting Solr, which others'
# tests may be using. Writes .stack/bench-{stock,govshare}.ini (scripts/lib.sh's fresh_site).
set -euo pipefail
LOG_TAG=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

bash "$ROOT/scripts/stack.sh" services
fresh_site bench-stock bench_stock 2
fresh_site bench-govshare bench_govshare 3
cd "$ROOT"
"$PY" bench/search.py --stock-ini "$STACK/bench-stock.ini" --govshare-ini "$STACK/bench-govshare.ini" "$@"
