#!/usr/bin/env bash
# The local stack behind `make run`, `make test` and `make stop`, without Docker.
#
#   scripts/stack.sh install     apt + pip, into .venv/ (idempotent)
#   scripts/stack.sh services    start PostgreSQL, Redis and Solr (idempotent)
#   scripts/stack.sh run         install, services, migrate, admin, demo data, RQ worker, the
#                                harvest consumers and scheduler, and CKAN under gunicorn
#                                (docker/gunicorn.conf.py) until /health is ok
#   scripts/stack.sh dev         the same, but `ckan run` in the foreground with auto-reload
#   scripts/stack.sh test [ARGS] install, services, test database, pytest ARGS
#   scripts/stack.sh stop        stop exactly what this script started
#   scripts/stack.sh harvest INI DIR / harvest-stop DIR
#                                the harvest consumers and scheduler of the site of INI alone
#                                (pid files and log in DIR), as run starts them
#
# Everything lives under .stack/; ports are picked at first start (the usual
# one, or the next free one) and written to .stack/<service>/port. Logs: .stack/ckan/ckan.log
# (gunicorn), .stack/ckan/worker.log (RQ), .stack/ckan/harvest.log (harvest consumers and
# scheduler), .stack/{pg,redis,solr}/.
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
    # The annual report PDF's CJK text font (report_pdf.py), and pdftoppm/pdftotext for its test.
    dpkg -s fonts-arphic-uming >/dev/null 2>&1 || need+=(fonts-arphic-uming)
    command -v pdftoppm >/dev/null || need+=(poppler-utils)
    command -v npm >/dev/null || need+=(nodejs npm)
    # The compose's nginx configuration is run by a test in front of a stand-in CKAN.
    command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
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
    want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/docker/requirements-docker.txt" \
        "$ROOT/setup.py" | sha1sum | cut -c1-40)
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        log "pip install (pinned) into .venv/"
        "$VENV/bin/pip" install -q --upgrade pip setuptools wheel
        # gunicorn as pinned for the image: `make run` serves with the production server.
        "$VENV/bin/pip" install -q -r "$ROOT/requirements-dev.txt" -r "$ROOT/docker/requirements-docker.txt"
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
REDIS_DATABASES=128  # dev 0, tests 1, benchmarks and the tests' second sites 2-15, test workers 16-
start_redis() {
    local port pid; port=$(pick_port redis 6379)
    pid="$STACK/redis/redis.pid"
    if [[ -f "$pid" ]] && kill -0 "$(cat "$pid")" 2>/dev/null; then
        log "Redis already running on port $port"; return
    fi
    log "starting Redis on 127.0.0.1:$port"
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --dir "$STACK/redis" \
        --pidfile "$pid" --logfile "$STACK/redis/redis.log" --save "" --appendonly no \
        --databases "$REDIS_DATABASES"
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
CKAN_PID="$STACK/ckan/ckan.pid"        # gunicorn's master (make run)
DEVSERVER_PID="$STACK/ckan/dev.pid"    # `ckan run` (make dev)
WORKER_PID="$STACK/ckan/worker.pid"    # the RQ worker, for both
# The harvest consumers and scheduler, for both: .stack/ckan/harvest-*.pid (start_harvest).
HARVEST_INTERVAL=${GOVSHARE_HARVEST_INTERVAL:-300}  # seconds between `ckan harvester run`s

ensure_admin() {
    local pwfile="$ROOT/admin-password.txt"
    pg_psql -d govshare -c "SELECT 1 FROM \"user\" WHERE name='admin'" | grep -q 1 && return
    local pw; pw=$("$PY" -c "import secrets; print(secrets.token_urlsafe(12))")
    "$CKAN" -c "$DEV_INI" user add admin email=admin@govshare.localhost password="$pw" fullname="平台管理员" >/dev/null
    "$CKAN" -c "$DEV_INI" sysadmin add admin >/dev/null
    umask 077; echo "$pw" >"$pwfile"
    log "created sysadmin 'admin', password: $pw (saved in admin-password.txt)"
}

# running PIDFILE [WORD]: its process is alive and its command line holds WORD (default: this
# checkout's path); after a reboot the pid in a stale file may belong to anyone.
running() {
    local pid
    [[ -s $1 ]] && pid=$(cat "$1") && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "${2:-$ROOT/}"
}

start_bg() { # NAME PIDFILE LOG CMD...: in its own session, so that stopping it stops its children
    local name=$1 pidfile=$2 logfile=$3; shift 3
    if running "$pidfile"; then
        log "$name already running (pid $(cat "$pidfile"))"; return 1
    fi
    mkdir -p "$(dirname "$pidfile")"
    setsid "$@" >>"$logfile" 2>&1 < /dev/null &
    echo $! >"$pidfile"
}

# signal_tree SIGNAL PID: the process, its process group when it leads one (start_bg), and
# its children (the reloader's server under `ckan run`).
signal_tree() {
    pkill "-$1" -P "$2" 2>/dev/null || true
    kill "-$1" -- -"$2" 2>/dev/null || kill "-$1" "$2" 2>/dev/null || true
}

stop_pidfile() { # NAME PIDFILE [WORD]: TERM, then KILL after 40 s (gunicorn's graceful stop is 30 s)
    if running "$2" "${3:-}"; then
        local pid; pid=$(cat "$2")
        log "stopping $1 (pid $pid)"
        signal_tree TERM "$pid"
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then signal_tree KILL "$pid"; fi
    fi
    rm -f "$2"
}

# Services, database, sysadmin, demo city and the RQ worker: what run and dev share.
prepare_site() {
    cmd_install
    cmd_services
    PORT=$(pick_port ckan 5000)
    write_services_ini dev govshare ckan 0 "http://127.0.0.1:$PORT" \
        "govshare.synonyms.solr_urls = http://127.0.0.1:$(cat "$STACK/solr/port")/solr/ckan_open"
    create_db govshare
    create_datastore_db govshare_datastore "$DEV_INI"
    log "migrating the database"
    migrate "$DEV_INI"
    ensure_admin
    # xloader's jobs fetch uploads (private ones too) as the site user: a token of its own.
    local token; token=$("$CKAN" -c "$DEV_INI" govshare xloader-token)
    echo "ckanext.xloader.api_token = $token" >>"$STACK/dev.ini"
    log "loading demo data"
    "$CKAN" -c "$DEV_INI" govshare demo-load
    "$CKAN" -c "$DEV_INI" govshare synonyms-push >/dev/null  # a fresh Solr gets the list back
    "$CKAN" -c "$DEV_INI" govshare sources rebuild >/dev/null  # 一数一源: entries loaded before the index existed
    # xloader's jobs use the default queue.
    start_bg "RQ worker" "$WORKER_PID" "$STACK/ckan/worker.log" "$CKAN" -c "$DEV_INI" jobs worker || true
    start_harvest "$DEV_INI" "$STACK/ckan"
}

# ckanext-harvest as docker/ runs it: its gather and fetch consumers (Redis queues; `ckan
# govshare harvest-consumer`, as ckanext-harvest's own exit after 5 s idle under redis-py 8) and the
# periodic `ckan harvester run` (jobs due by their source's frequency, finished jobs marked),
# by the image's scheduler with the harvest only (escalate and sync-open stay manual here).
start_harvest() { # INI DIR: the site of INI; pid files, heartbeat and harvest.log in DIR
    local ini=$1 dir=$2 log="$2/harvest.log"
    mkdir -p "$dir"
    start_bg "harvest gather consumer" "$dir/harvest-gather.pid" "$log" "$CKAN" -c "$ini" govshare harvest-consumer gather || true
    start_bg "harvest fetch consumer" "$dir/harvest-fetch.pid" "$log" "$CKAN" -c "$ini" govshare harvest-consumer fetch || true
    PATH="$VENV/bin:$PATH" CKAN_INI="$ini" CKAN_REDIS_URL="" GOVSHARE_ESCALATE_AT="" \
        GOVSHARE_SYNC_OPEN_INTERVAL=0 GOVSHARE_HARVEST_INTERVAL="$HARVEST_INTERVAL" \
        GOVSHARE_SCHEDULER_HEARTBEAT="$dir/scheduler.alive" \
        start_bg "harvest scheduler" "$dir/harvest-scheduler.pid" "$log" "$PY" "$ROOT/docker/tools/scheduler.py" || true
}

stop_harvest() { # DIR
    stop_pidfile "harvest scheduler" "$1/harvest-scheduler.pid"
    stop_pidfile "harvest gather consumer" "$1/harvest-gather.pid"
    stop_pidfile "harvest fetch consumer" "$1/harvest-fetch.pid"
}

# Until GET /health answers 200 (PostgreSQL, Solr and Redis reachable from CKAN).
wait_healthy() { # PIDFILE LOG
    local url="http://127.0.0.1:$PORT/health"
    for _ in $(seq 120); do
        curl -fs --max-time 10 "$url" >/dev/null && return
        running "$1" || fail_with_log "CKAN did not start" "$2"
        sleep 1
    done
    echo "---- $url ----" >&2; curl -s --max-time 10 "$url" >&2 || true
    fail_with_log "CKAN was not healthy in 120 s" "$2"
}

# gunicorn, as docker/ runs it (docker/wsgi.py, docker/gunicorn.conf.py), on 127.0.0.1 only.
cmd_run() {
    prepare_site
    stop_pidfile "the development server" "$DEVSERVER_PID"
    if ! running "$CKAN_PID"; then
        # What `ckan run` does at start and gunicorn does not: the JavaScript translations
        # (/api/i18n/<lang>); and the webassets, built once here instead of by the first
        # request of each worker.
        quiet "$CKAN" -c "$DEV_INI" translation js
        log "building webassets"
        quiet "$CKAN" -c "$DEV_INI" asset build
    fi
    if CKAN_INI="$DEV_INI" GUNICORN_BIND="127.0.0.1:$PORT" start_bg "CKAN (gunicorn)" "$CKAN_PID" \
            "$STACK/ckan/ckan.log" "$VENV/bin/gunicorn" --config "$ROOT/docker/gunicorn.conf.py" \
            --chdir "$ROOT/docker" wsgi:application; then
        log "starting CKAN under gunicorn on 127.0.0.1:$PORT"
    fi
    wait_healthy "$CKAN_PID" "$STACK/ckan/ckan.log"
    # The tabular resources into the DataStore (preview, online query), now that the worker
    # can fetch them from the portal; unchanged files are skipped by their hash.
    quiet "$CKAN" -c "$DEV_INI" xloader submit all || log "xloader: some resources were not submitted (see above)"
    log "portal: http://127.0.0.1:$PORT   (sysadmin: admin, password in admin-password.txt)"
    log "logs: .stack/ckan/ckan.log (gunicorn), .stack/ckan/worker.log (jobs), .stack/ckan/harvest.log (harvesting); stop everything with: make stop"
}

# `ckan run` in the foreground, reloading on code changes; Ctrl-C stops it (the services
# and the worker stay up until make stop).
cmd_dev() {
    prepare_site
    stop_pidfile "CKAN (gunicorn)" "$CKAN_PID"
    running "$DEVSERVER_PID" && die "the development server is already running (pid $(cat "$DEVSERVER_PID"))"
    log "development server on http://127.0.0.1:$PORT (auto-reload; Ctrl-C to stop)"
    echo $$ >"$DEVSERVER_PID"
    exec "$CKAN" -c "$DEV_INI" run -H 127.0.0.1 -p "$PORT"
}

# ---------------------------------------------------------------------- tests
# `make test` runs pytest-xdist with GOVSHARE_TEST_WORKERS workers (default: one per core; 0 or 1:
# without xdist), each on a site of its own that tests/conftest.py points the worker at:
# database govshare_test_gwN and its DataStore database, Solr core ckan_test_gwN, Redis database
# TEST_REDIS_BASE+N and storage .stack/storage/test_gwN, as written in .stack/test_gwN.ini.
# ARGS that name test files or node ids (and no directory) run without xdist unless
# GOVSHARE_TEST_WORKERS is set; ARGS with -n N run N workers.
TEST_REDIS_BASE=16

test_workers() { # ARGS...: the number of workers for these pytest arguments
    local arg after_n="" files=0 dirs=0 n
    for arg in "$@"; do
        if [[ -n $after_n ]]; then n=$arg; break; fi
        case $arg in
            -n|--numprocesses) after_n=1; continue ;;
            -n*) n=${arg#-n}; n=${n#=}; break ;;
            --numprocesses=*) n=${arg#*=}; break ;;
            -*) continue ;;
        esac
        if [[ -d $arg ]]; then dirs=$((dirs + 1)); elif [[ -e ${arg%%::*} ]]; then files=$((files + 1)); fi
    done
    n=${n:-${GOVSHARE_TEST_WORKERS:-}}
    if [[ -z $n ]] && ((files > 0 && dirs == 0)); then n=0; fi
    [[ $n =~ ^[0-9]+$ ]] || n=$(nproc)  # unset, "auto", "logical"
    echo "$n"
}

# The Redis of .stack/ with the workers' databases (one started with fewer is restarted: it
# keeps nothing, --save "").
ensure_redis_databases() { # COUNT
    local port have; port=$(cat "$STACK/redis/port")
    have=$(redis-cli -p "$port" CONFIG GET databases | tail -n 1)
    ((have >= $1)) && return
    log "Redis has $have databases, the tests need $1: restarting it"
    stop_pidfile Redis "$STACK/redis/redis.pid" "redis-server 127.0.0.1:$port"
    start_redis
}

# Each worker's site; databases and cores only when missing, the cores' conf every time.
test_worker_sites() { # WORKERS
    local n name cores=()
    ensure_redis_databases $((TEST_REDIS_BASE + $1))
    for ((n = 0; n < $1; n++)); do
        name=govshare_test_gw$n
        INI_BASE="config:$ROOT/config/test.ini" \
            write_services_ini "test_gw$n" "$name" "ckan_test_gw$n" $((TEST_REDIS_BASE + n))
        create_db "$name"
        create_datastore_db "${name}_datastore" "$STACK/test_gw$n.ini"
        cores+=("ckan_test_gw$n")
    done
    bash "$ROOT/scripts/solr.sh" cores "${cores[@]}"
}

cmd_test() {
    cmd_install
    cmd_services
    write_services_ini test govshare_test ckan_test 1
    create_db govshare_test
    create_datastore_db govshare_test_datastore "$ROOT/config/test.ini"
    cd "$ROOT"
    local workers given="" xdist=()
    workers=$(test_workers "$@")
    [[ " $* " == *" -n"* || " $* " == *" --numprocesses"* ]] && given=1
    if ((workers > 1)) || [[ -n $given ]] && ((workers > 0)); then
        test_worker_sites "$workers"
        [[ -n $given ]] || xdist=(-n "$workers")
        # loadgroup: each xdist_group on one worker, and (tests/conftest.py) each module or class
        [[ " $* " == *" --dist"* ]] || xdist+=(--dist loadgroup)
        log "pytest on $workers workers (GOVSHARE_TEST_WORKERS=0 for none)"
    fi
    "$VENV/bin/pytest" --ckan-ini=config/test.ini "${xdist[@]}" "$@"
}

cmd_stop() {
    stop_pidfile "CKAN (gunicorn)" "$CKAN_PID"
    stop_pidfile "the development server" "$DEVSERVER_PID"
    stop_pidfile "RQ worker" "$WORKER_PID"
    stop_harvest "$STACK/ckan"
    bash "$ROOT/scripts/solr.sh" stop || true
    # redis-server renames its process: its command line is "redis-server 127.0.0.1:PORT".
    if [[ -f "$STACK/redis/redis.pid" ]]; then
        stop_pidfile Redis "$STACK/redis/redis.pid" "redis-server 127.0.0.1:$(cat "$STACK/redis/port")"
    fi
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
    dev) cmd_dev ;;
    test) shift; cmd_test "$@" ;;
    stop) cmd_stop ;;
    harvest) shift; start_harvest "$@" ;;  # INI DIR: the harvest processes of another site
    harvest-stop) shift; stop_harvest "$@" ;;  # DIR
    *) die "usage: $0 install|services|run|dev|test [pytest args]|stop|harvest INI DIR|harvest-stop DIR" ;;
esac
