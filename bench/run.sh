#!/usr/bin/env bash
# Stock CKAN and govshare side by side on the same data: `bash bench/run.sh [search.py args]`.
#
# Each run starts from empty databases (bench_stock, bench_govshare and govshare's DataStore
# database bench_govshare_datastore) and empty Solr cores of the same names, so its figures do not depend on earlier runs. The cores are (re)loaded without
# restarting Solr, which others' tests may be using. Writes .stack/bench-{stock,govshare}.ini.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/.stack"
PY="$ROOT/.venv/bin/python"
CKAN="$ROOT/.venv/bin/ckan"
PGBIN="/usr/lib/postgresql/15/bin"

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

pg_psql() { # as the cluster owner, like scripts/stack.sh
    local cmd=("$PGBIN/psql" -h "$STACK/pg/run" -p "$(cat "$STACK/pg/port")" -U postgres -v ON_ERROR_STOP=1 -qtA "$@")
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "${cmd[@]}"; else "${cmd[@]}"; fi
}

fresh_db() { # NAME: drop (closing its connections) and create it again
    pg_psql -c "SELECT 1 FROM pg_roles WHERE rolname='ckan'" | grep -q 1 \
        || pg_psql -c "CREATE ROLE ckan LOGIN PASSWORD 'ckan'"
    pg_psql -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
    pg_psql -c "CREATE DATABASE $1 OWNER ckan ENCODING 'UTF8' TEMPLATE template0"
}

fresh_datastore_db() { # NAME INI: as scripts/stack.sh makes it, read-only role and permissions
    pg_psql -c "SELECT 1 FROM pg_roles WHERE rolname='datastore_ro'" | grep -q 1 \
        || pg_psql -c "CREATE ROLE datastore_ro LOGIN PASSWORD 'datastore'"
    fresh_db "$1"
    "$CKAN" -c "$2" datastore set-permissions 2>/dev/null | pg_psql -d "$1" >/dev/null
}

empty_core() { # NAME
    curl -fsS --max-time 60 -H 'Content-Type: text/xml' --data-binary '<delete><query>*:*</query></delete>' \
        "http://127.0.0.1:$(cat "$STACK/solr/port")/solr/$1/update?commit=true" >/dev/null
}

write_ini() { # NAME USE DATABASE REDIS_DB [EXTRA LINE]: service addresses of this machine
    cat >"$STACK/$1.ini" <<EOF
# Written by bench/run.sh for bench/search.py.
[app:main]
use = $2
SECRET_KEY = $("$PY" -c "import secrets; print(secrets.token_urlsafe(32))")
sqlalchemy.url = postgresql://ckan:ckan@127.0.0.1:$(cat "$STACK/pg/port")/$3
solr_url = http://127.0.0.1:$(cat "$STACK/solr/port")/solr/$3
ckan.redis.url = redis://127.0.0.1:$(cat "$STACK/redis/port")/$4
ckan.storage_path = $STACK/storage/$1
ckan.site_url = http://127.0.0.1:5000
${5:-}
EOF
    mkdir -p "$STACK/storage/$1"
}

quiet() { # CMD...: its output only if it fails
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

migrate() { # INI
    quiet "$CKAN" -c "$1" db upgrade
    quiet "$CKAN" -c "$1" db pending-migrations --apply
}

bash "$ROOT/scripts/stack.sh" services
bash "$ROOT/scripts/solr.sh" cores bench_stock bench_govshare
# Stock CKAN: CKAN's defaults and the activity plugin, which a stock install enables.
write_ini bench-stock egg:ckan bench_stock 2 "ckan.plugins = activity"
# govshare as deployed: config/common.ini's plugins, DataStore included.
pg_port=$(cat "$STACK/pg/port")
write_ini bench-govshare "config:$ROOT/config/common.ini" bench_govshare 3 \
    "ckan.datastore.write_url = postgresql://ckan:ckan@127.0.0.1:$pg_port/bench_govshare_datastore
ckan.datastore.read_url = postgresql://datastore_ro:datastore@127.0.0.1:$pg_port/bench_govshare_datastore"
for side in stock govshare; do
    log "fresh database and index for bench_$side"
    fresh_db "bench_$side"
    empty_core "bench_$side"
done
fresh_datastore_db bench_govshare_datastore "$STACK/bench-govshare.ini"
for side in stock govshare; do
    migrate "$STACK/bench-$side.ini"
done
cd "$ROOT"
"$PY" bench/search.py --stock-ini "$STACK/bench-stock.ini" --govshare-ini "$STACK/bench-govshare.ini" "$@"
