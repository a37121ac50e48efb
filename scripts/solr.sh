#!/usr/bin/env bash
# Local Apache Solr 9 for CKAN without Docker: jars from Maven Central (solr/pom.xml), a tiny
# Jetty launcher (solr/src/GovshareSolr.java), cores with CJK-aware schema (solr/make_schema.py).
#   scripts/solr.sh start|stop|status|restart     (env: SOLR_PORT=8983, SOLR_START_TIMEOUT=120)
#   scripts/solr.sh cores CORE...                 fresh conf for CORE..., loaded without a restart
# State lives in .stack/solr/: home/ (solr.xml + cores), solr.pid, solr.log, port, classpath.
set -euo pipefail
LOG_TAG=solr
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE=$STACK/solr
SOLR_HOME=$STATE/home
PIDFILE=$STATE/solr.pid
LOG=$STATE/solr.log
PORTFILE=$STATE/port
CPFILE=$STATE/classpath.txt
CLASSES=$STATE/classes
# Made at every start; `cores` also makes the other bench_* cores (bench/run_all.sh) and the
# test workers' ckan_test_gw* (scripts/stack.sh test) on demand.
# Cores of stock CKAN (is_stock: named *_stock) have CKAN's schema.xml unmodified.
CORES=(ckan ckan_test ckan_open ckan_open_test ckan_province_test bench_stock bench_govshare)
TIMEOUT=${SOLR_START_TIMEOUT:-120}

recorded_port() { cat "$PORTFILE" 2>/dev/null || echo "${SOLR_PORT:-8983}"; }

# Our process: pid file points at a live java running the launcher (guards against pid reuse).
our_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q GovshareSolr || return 1
  echo "$pid"
}

ping_ok() {
  curl -fsS --max-time 5 "http://127.0.0.1:$1/solr/ckan/admin/ping?wt=json" 2>/dev/null |
    grep -q '"status":"OK"'
}

ensure_tools() {
  if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
    log "installing a JDK and maven with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven
  fi
  command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
  [[ -x $PY ]] || { log "no $PY: create the virtualenv with ckan first"; exit 1; }
}

# Resolve jars once (cached until solr/pom.xml changes) and compile the launcher.
build() {
  mkdir -p "$STATE" "$CLASSES"
  if [[ ! -s $CPFILE || $ROOT/solr/pom.xml -nt $CPFILE ]]; then
    log "resolving Solr jars with maven (first time downloads ~120 MB into ~/.m2)"
    mvn -B -q -f "$ROOT/solr/pom.xml" dependency:build-classpath -Dmdep.outputFile="$CPFILE.tmp" >"$STATE/mvn.log" 2>&1 ||
      { tail -n 30 "$STATE/mvn.log" >&2; exit 1; }
    mv "$CPFILE.tmp" "$CPFILE"
  fi
  local src=$ROOT/solr/src/GovshareSolr.java
  if [[ ! -f $CLASSES/GovshareSolr.class || $src -nt $CLASSES/GovshareSolr.class || $CPFILE -nt $CLASSES/GovshareSolr.class ]]; then
    javac -nowarn -d "$CLASSES" -cp "$(cat "$CPFILE")" "$src"
  fi
}

ckan_schema() {
  "$PY" -c 'import importlib.util as u, os; print(os.path.join(u.find_spec("ckan").submodule_search_locations[0], "config", "solr", "schema.xml"))'
}

# A core's conf/: our solrconfig.xml, and the govshare schema (or CKAN's own for stock CKAN).
write_conf() {
  local conf=$SOLR_HOME/$1/conf
  mkdir -p "$conf"
  cp "$ROOT/solr/solrconfig.xml" "$conf/solrconfig.xml"
  if is_stock "$1"; then
    cp "$(ckan_schema)" "$conf/schema.xml"
    touch "$conf/protwords.txt" "$conf/synonyms.txt" # referenced by CKAN's schema
  else
    "$PY" "$ROOT/solr/make_schema.py" "$conf"
  fi
}

# Solr home: bare solr.xml (core discovery) and the cores; conf is regenerated on every fresh
# start so schema/solrconfig changes apply, index data is kept.
make_home() {
  mkdir -p "$SOLR_HOME"
  echo '<solr/>' >"$SOLR_HOME/solr.xml"
  local core
  for core in "${CORES[@]}"; do
    write_conf "$core"
    echo "name=$core" >"$SOLR_HOME/$core/core.properties"
  done
  # Solr logs via log4j2 to stdout, which goes to $LOG; per-request logging is off.
  cat >"$STATE/log4j2.xml" <<'EOF'
<Configuration>
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="%d{ISO8601} %-5p [%c{1}] %m%n"/></Console></Appenders>
  <Loggers>
    <Logger name="org.apache.solr.core.CoreContainer" level="info"/>
    <Logger name="org.apache.solr.core.SolrCore" level="info"/>
    <Logger name="org.apache.solr.core.SolrCore.Request" level="warn"/>
    <Root level="warn"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
EOF
}

start() {
  local pid port
  if pid=$(our_pid); then
    port=$(recorded_port)
    if ping_ok "$port"; then
      log "already running (pid $pid): http://127.0.0.1:$port/solr"
      return 0
    fi
    log "pid $pid does not answer on port $port; restarting it"
    stop
  fi
  ensure_tools
  build
  make_home

  local first=${SOLR_PORT:-8983}
  port=$(first_free_port "$first") # the recorded one may be taken by something that is not our Solr
  [[ $port == "$first" ]] || log "port $first is taken; using $port"
  echo "$port" >"$PORTFILE"

  [[ -f $LOG ]] && mv -f "$LOG" "$LOG.1"
  local t0=$SECONDS
  # setsid: own session, so the caller's Ctrl-C or job control does not reach Solr.
  setsid java -Xms256m -Xmx1g -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$STATE/log4j2.xml" -Dsolr.log.dir="$STATE" \
    -cp "$CLASSES:$(cat "$CPFILE")" GovshareSolr "$SOLR_HOME" "$port" >"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"

  while ((SECONDS - t0 < TIMEOUT)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "Solr exited during startup; log tail:"
      tail -n 40 "$LOG" >&2
      rm -f "$PIDFILE"
      exit 1
    fi
    if ping_ok "$port"; then
      log "started (pid $pid) in $((SECONDS - t0)) s: http://127.0.0.1:$port/solr/{$(IFS=,; echo "${CORES[*]}")}"
      return 0
    fi
    sleep 0.5
  done
  log "Solr did not answer within $TIMEOUT s; log tail:"
  tail -n 40 "$LOG" >&2
  stop
  exit 1
}

stop() {
  local pid i
  if ! pid=$(our_pid); then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid ignored SIGTERM for 30 s; killing it"; kill -KILL "$pid"; }
  rm -f "$PIDFILE"
  log "stopped (pid $pid)"
}

core_admin() { # ACTION CORE [PARAMS]: a CoreAdmin request; fails with Solr's message
  local out
  out=$(curl -sS --max-time 120 "http://127.0.0.1:$(recorded_port)/solr/admin/cores?wt=json&action=$1&core=$2&name=$2${3:-}") ||
    return 1
  grep -q '"status":0' <<<"$out" || { log "$1 $2 failed: $out"; return 1; }
  echo "$out"
}

# Fresh conf for each named core, then RELOAD it, or CREATE it when the running Solr does not have
# it (a Solr started before the core was added to CORES): no restart, so others' tests go on.
cores() {
  start
  local core
  for core in "$@"; do
    [[ " ${CORES[*]} " == *" $core "* || $core == bench_* || $core == ckan_test_gw* ]] ||
      { log "unknown core $core (not in CORES, bench_* or ckan_test_gw*)"; exit 2; }
    if [[ $(core_admin STATUS "$core") == *'"instanceDir"'* ]]; then
      write_conf "$core"
      core_admin RELOAD "$core" >/dev/null
    else
      rm -f "$SOLR_HOME/$core/core.properties" # CREATE writes it; refuses if it exists
      write_conf "$core"
      core_admin CREATE "$core" "&instanceDir=$SOLR_HOME/$core" >/dev/null
      log "created core $core"
    fi
  done
}

status() {
  local pid port
  port=$(recorded_port)
  if pid=$(our_pid) && ping_ok "$port"; then
    echo "running (pid $pid): http://127.0.0.1:$port/solr"
  else
    echo "not running"
    return 3
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  status) status ;;
  cores) shift; cores "$@" ;;
  *) echo "usage: $0 start|stop|restart|status|cores CORE..." >&2; exit 2 ;;
esac
