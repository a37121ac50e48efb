#!/usr/bin/env bash
# The local stack behind `make run`, `make test` and `make stop`, without Docker.
#
#   scripts/stack.sh install     apt + pip, into .venv/ (idempotent)
#   scripts/stack.sh services    start PostgreSQL, Redis and Solr (idempotent)
#   scripts/stack.sh run         install, services, migrate, admin, demo data, serve CKAN
#   scripts/stack.sh test [ARGS] install, services, test database, pytest ARGS
#   scripts/stack.sh stop        stop exactly what this script started
#
# Everything lives under .stack/; ports are picked at first start (the usual
# one, or the next free one) and written to .stack/<service>/port.
set -euo pipefail
LOG_TAG=stack
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_system() {
    local need=()
    [[ -x "$PGBIN/postgres" ]] || need+=(postgresql-15)
    command -v redis-server >/dev/null || need+=(redis-server)
    command -v java >/dev/null || need+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || need+=(maven)
    dpkg -s libmagic1 >/dev/null 2>&1 || need+=(libmagic1)
    # The browser test: Debian's Chromium driven by playwright-core, with a CJK font.
    dpkg -s chromium >/dev/null 2>&1 || need+=(chromium)
    dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need+=(fonts-wqy-microhei)
    command -v npm >/dev/null || need+=(nodejs npm)
    if ((${#need[@]})); then
        log "apt-get install ${need[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
    # Debian's postgresql package starts its own cluster on 5432; ours is separate.
}

install_python() {
    [[ -x "$PY" ]] || python3 -m venv "$VENV"
    local stamp="$VENV/.govshare-installed" want
    want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/setup.py" | sha1sum | cut -c1-40)
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        log "pip install (pinned) into .venv/"
        "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
        "$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
        "$VENV/bin/pip" install -q -e "$ROOT"
        echo "$want" >"$stamp"
    fi
}

install_browser() {
    [[ -d "$ROOT/browser/node_modules/playwright-core" ]] && return
    log "npm ci (browser test)"
    npm ci --prefix "$ROOT/browser" --no-audit --no-fund >/dev/null
}

cmd_install() { install_system; install_python; install_browser; }

# ---------------------------------------------------------------- PostgreSQL
PG_DATA="$STACK/pg/data"
start_pg() {
    local port; port=$(pg_port)
    mkdir -p "$STACK/pg" "$PG_RUN"
    [[ $EUID -eq 0 ]] && chown postgres "$STACK/pg" "$PG_RUN"
    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        log "initdb $PG_DATA"
        pg_as_owner "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STACK/pg/initdb.log" 2>&1 \
            || fail_with_log "initdb failed" "$STACK/pg/initdb.log"
    fi
    if pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
        log "PostgreSQL already running on port $port"
    else
        log "starting PostgreSQL on 127.0.0.1:$port"
        pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$STACK/pg/postgres.log" -w -t 60 \
            -o "-p $port -k $PG_RUN -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null \
            || fail_with_log "PostgreSQL did not start" "$STACK/pg/postgres.log"
    fi
}

# --------------------------------------------------------------------- Redis
start_redis() {
    local port pid; port=$(pick_port redis 6379)
    pid="$STACK/redis/redis.pid"
    if [[ -f "$pid" ]] && kill -0 "$(cat "$pid")" 2>/dev/null; then
        log "Redis already running on port $port"; return
    fi
    log "starting Redis on 127.0.0.1:$port"
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$STACK/redis" \
        --pidfile "$pid" --logfile "$STACK/redis/redis.log" --save "" --appendonly no
    for _ in $(seq 50); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && return
        sleep 0.2
    done
    fail_with_log "Redis did not start" "$STACK/redis/redis.log"
}

cmd_services() {
    start_pg
    start_redis
    bash "$ROOT/scripts/solr.sh" start
}

# --------------------------------------------------------------------- CKAN
DEV_INI="$ROOT/config/development.ini"
CKAN_PID="$STACK/ckan/ckan.pid"
WORKER_PID="$STACK/ckan/worker.pid"

ensure_admin() {
    local pwfile="$ROOT/admin-password.txt"
    pg_psql -d govshare -c "SELECT 1 FROM \"user\" WHERE name='admin'" | grep -q 1 && return
    local pw; pw=$("$PY" -c "import secrets; print(secrets.token_urlsafe(12))")
    "$CKAN" -c "$DEV_INI" user add admin email=admin@govshare.localhost password="$pw" fullname="平台管理员" >/dev/null
    "$CKAN" -c "$DEV_INI" sysadmin add admin >/dev/null
    umask 077; echo "$pw" >"$pwfile"
    log "created sysadmin 'admin', password: $pw (saved in admin-password.txt)"
}

start_bg() { # NAME PIDFILE LOG CMD...
    local name=$1 pidfile=$2 logfile=$3; shift 3
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        log "$name already running (pid $(cat "$pidfile"))"; return 1
    fi
    mkdir -p "$(dirname "$pidfile")"
    setsid "$@" >"$logfile" 2>&1 < /dev/null &
    echo $! >"$pidfile"
}

cmd_run() {
    cmd_install
    cmd_services
    local port; port=$(pick_port ckan 5000)
    write_services_ini dev govshare ckan 0 "http://127.0.0.1:$port"
    create_db govshare
    create_datastore_db govshare_datastore "$DEV_INI"
    log "migrating the database"
    migrate "$DEV_INI"
    ensure_admin
    log "loading demo data"
    "$CKAN" -c "$DEV_INI" govshare demo-load
    start_bg "RQ worker" "$WORKER_PID" "$STACK/ckan/worker.log" "$CKAN" -c "$DEV_INI" jobs worker || true
    if start_bg "CKAN" "$CKAN_PID" "$STACK/ckan/ckan.log" "$CKAN" -c "$DEV_INI" run -H 127.0.0.1 -p "$port"; then
        for _ in $(seq 120); do
            curl -fs "http://127.0.0.1:$port/api/3/action/status_show" >/dev/null && break
            kill -0 "$(cat "$CKAN_PID")" 2>/dev/null || fail_with_log "CKAN did not start" "$STACK/ckan/ckan.log"
            sleep 1
        done
        curl -fs "http://127.0.0.1:$port/api/3/action/status_show" >/dev/null \
            || fail_with_log "CKAN did not answer in 120 s" "$STACK/ckan/ckan.log"
    fi
    log "portal: http://127.0.0.1:$port   (sysadmin: admin, password in admin-password.txt)"
    log "stop everything with: make stop"
}

cmd_test() {
    cmd_install
    cmd_services
    write_services_ini test govshare_test ckan_test 1
    create_db govshare_test
    create_datastore_db govshare_test_datastore "$ROOT/config/test.ini"
    cd "$ROOT"
    "$VENV/bin/pytest" --ckan-ini=config/test.ini "$@"
}

stop_pidfile() { # NAME PIDFILE
    if [[ -f "$2" ]] && kill -0 "$(cat "$2")" 2>/dev/null; then
        log "stopping $1"
        kill -- -"$(cat "$2")" 2>/dev/null || kill "$(cat "$2")" 2>/dev/null || true
    fi
    rm -f "$2"
}

cmd_stop() {
    stop_pidfile CKAN "$CKAN_PID"
    stop_pidfile "RQ worker" "$WORKER_PID"
    bash "$ROOT/scripts/solr.sh" stop || true
    if [[ -f "$STACK/redis/redis.pid" ]]; then stop_pidfile Redis "$STACK/redis/redis.pid"; fi
    if [[ -f "$PG_DATA/postmaster.pid" ]]; then
        log "stopping PostgreSQL"
        pg_as_owner "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
    fi
}

case "${1:-}" in
    install) cmd_install ;;
    services) cmd_install; cmd_services ;;
    db) start_pg; start_redis ;;  # PostgreSQL and Redis only
    run) cmd_run ;;
    test) shift; cmd_test "$@" ;;
    stop) cmd_stop ;;
    *) die "usage: $0 install|services|run|test [pytest args]|stop" ;;
esac
