# shellcheck shell=bash
# The shell library of scripts/ and bench/: `source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"`.
#
# Paths of the checkout, logging, port picking, PostgreSQL of .stack/ (psql as the cluster owner,
# roles and databases), the services ini that config/*.ini `use`, migrations, Solr cores and
# fresh benchmark sites. It defines functions and variables only; the sourcing script sets
# LOG_TAG (the name its messages carry) and its own `set -euo pipefail`.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK="$ROOT/.stack"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
CKAN="$VENV/bin/ckan"
PGBIN="/usr/lib/postgresql/15/bin"
mkdir -p "$STACK"

log() { printf '\033[1m[%s]\033[0m %s\n' "${LOG_TAG:-stack}" "$*" >&2; }
die() { printf '\033[31m[%s] %s\033[0m\n' "${LOG_TAG:-stack}" "$*" >&2; exit 1; }

# Report a service that did not come up with the end of its log, then stop.
fail_with_log() { echo "---- last lines of $2 ----" >&2; tail -n 40 "$2" >&2 || true; die "$1"; }

# CMD...: its output only if it fails.
quiet() {
    local out
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------------- ports
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The first free port from $1 on, among 50.
first_free_port() {
    local port=$1
    while ! port_free "$port"; do
        port=$((port + 1))
        ((port < $1 + 50)) || die "no free port in $1..$port"
    done
    echo "$port"
}

# The port recorded for a service, or the first free one from $2 on (then recorded).
pick_port() {
    local file="$STACK/$1/port" port
    if [[ -s "$file" ]]; then cat "$file"; return; fi
    port=$(first_free_port "$2")
    mkdir -p "$STACK/$1"; echo "$port" >"$file"; echo "$port"
}

# ----------------------------------------------------------------- PostgreSQL
PG_RUN="$STACK/pg/run"
pg_as_owner() {
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_port() { pick_port pg 5432; }
pg_psql() { pg_as_owner "$PGBIN/psql" -h "$PG_RUN" -p "$(pg_port)" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

# ensure_role NAME PASSWORD: a login role, only if missing.
ensure_role() {
    pg_psql -c "SELECT 1 FROM pg_roles WHERE rolname='$1'" | grep -q 1 \
        || pg_psql -c "CREATE ROLE $1 LOGIN PASSWORD '$2'"
}

db_exists() { pg_psql -c "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1; }

drop_db() { pg_psql -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }

# create_db NAME: role ckan and database NAME, both only if missing.
create_db() {
    ensure_role ckan ckan
    db_exists "$1" || pg_psql -c "CREATE DATABASE $1 OWNER ckan ENCODING 'UTF8' TEMPLATE template0"
}

# create_datastore_db NAME INI: the DataStore's database, its read-only role and
# CKAN's permissions script, each only if missing.
create_datastore_db() {
    ensure_role datastore_ro datastore
    db_exists "$1" && return
    create_db "$1"
    "$CKAN" -c "$2" datastore set-permissions 2>/dev/null | pg_psql -d "$1" >/dev/null
}

# ------------------------------------------------------------------- configs
# A per-machine secret, made once.
secret() {
    [[ -s "$STACK/secret" ]] || (umask 077; "$PY" -c "import secrets; print(secrets.token_urlsafe(32))" >"$STACK/secret")
    cat "$STACK/secret"
}

# Service addresses of this machine, for the ini files in config/ to `use`: .stack/NAME.ini
# on top of INI_BASE (default config/common.ini), then each LINE as it is.
write_services_ini() { # NAME DATABASE SOLR_CORE REDIS_DB [SITE_URL [LINE...]]
    local name=$1 db=$2 core=$3 redis_db=$4 site_url=${5:-}
    shift $(($# < 5 ? $# : 5))
    cat >"$STACK/$name.ini" <<EOF
# Written by scripts/lib.sh (write_services_ini): this machine's service addresses.
[app:main]
use = ${INI_BASE:-config:$ROOT/config/common.ini}
SECRET_KEY = $(secret)
api_token.jwt.encode.secret = string:$(secret)
api_token.jwt.decode.secret = string:$(secret)
sqlalchemy.url = postgresql://ckan:ckan@127.0.0.1:$(pg_port)/$db
solr_url = http://127.0.0.1:$(cat "$STACK/solr/port")/solr/$core
ckan.redis.url = redis://127.0.0.1:$(cat "$STACK/redis/port")/$redis_db
ckan.storage_path = $STACK/storage/$name
ckan.datastore.write_url = postgresql://ckan:ckan@127.0.0.1:$(pg_port)/${db}_datastore
ckan.datastore.read_url = postgresql://datastore_ro:datastore@127.0.0.1:$(pg_port)/${db}_datastore
ckanext.xloader.jobs_db.uri = postgresql://ckan:ckan@127.0.0.1:$(pg_port)/$db
${site_url:+ckan.site_url = $site_url}
EOF
    (($#)) && printf '%s\n' "$@" >>"$STACK/$name.ini"
    mkdir -p "$STACK/storage/$name"
}

# migrate INI: CKAN's migrations, then the plugins'.
migrate() {
    quiet "$CKAN" -c "$1" db upgrade
    quiet "$CKAN" -c "$1" db pending-migrations --apply
}

# ------------------------------------------------------------ benchmark sites
# A site (database, Solr core) whose name ends in _stock is stock CKAN: CKAN's own Solr
# schema (scripts/solr.sh), CKAN's default configuration with the activity plugin, which a
# stock install enables, and no DataStore. Any other is govshare as deployed: config/common.ini.
is_stock() { [[ $1 == *_stock ]]; }

empty_core() { # NAME
    curl -fsS --max-time 60 -H 'Content-Type: text/xml' --data-binary '<delete><query>*:*</query></delete>' \
        "http://127.0.0.1:$(cat "$STACK/solr/port")/solr/$1/update?commit=true" >/dev/null
}

flush_redis() { # DB
    redis-cli -p "$(cat "$STACK/redis/port")" -n "$1" FLUSHDB >/dev/null
}

# fresh_site INI-NAME DATABASE REDIS_DB: .stack/INI-NAME.ini for a site whose database, Solr
# core (of the same name), DataStore database and Redis database are created anew or emptied,
# then migrated; Solr is not restarted, others' tests may be using it.
fresh_site() {
    log "fresh database and index for $2"
    bash "$ROOT/scripts/solr.sh" cores "$2"
    if is_stock "$2"; then
        INI_BASE=egg:ckan write_services_ini "$1" "$2" "$2" "$3" http://127.0.0.1:5000 "ckan.plugins = activity"
    else
        write_services_ini "$1" "$2" "$2" "$3" http://127.0.0.1:5000
    fi
    drop_db "$2"
    create_db "$2"
    empty_core "$2"
    flush_redis "$3"
    if ! is_stock "$2"; then
        drop_db "${2}_datastore"
        create_datastore_db "${2}_datastore" "$STACK/$1.ini"
    fi
    migrate "$STACK/$1.ini"
}
