#!/usr/bin/env bash
# Entrypoint of the govshare CKAN image.
#
#   web        (default) wait for PostgreSQL/Redis/Solr, initialise (migrations, DataStore
#              permissions, sysadmin, demo data, site role) unless GOVSHARE_INIT=0, then
#              exec gunicorn on :5000
#   worker     wait for the services, then exec `ckan jobs worker [QUEUES...]`
#   scheduler  wait, then queue the periodic jobs (govshare escalate, sync-open) for the worker
#              and run `ckan harvester run` (harvest jobs due, finished jobs marked)
#   harvest-gather, harvest-fetch
#              wait, then exec ckanext-harvest's consumer of that queue (Redis):
#              `ckan govshare harvest-consumer gather|fetch` (ckanext-harvest's own
#              `ckan harvester gather-consumer` exits after 5 s without a job under redis-py 8)
#   init       wait, initialise, exit (a one-shot job for deployments that prefer it)
#   *          anything else runs as given, e.g. `ckan search-index rebuild`
#
# Every command first completes and checks the environment (secrets from *_FILE, refused
# when placeholders or short: docker/tools/environment.py) and writes the runtime ini
# ($CKAN_INI): it `use`s config/production.ini (which `use`s config/common.ini) and adds the
# secrets and the CKAN__* / CKAN___* / CKANEXT__* options of the environment
# (docker/tools/runtime_ini.py). The other tools in tools/ wait for the services, hold the
# init lock, set the DataStore permissions, create the sysadmin and run the scheduler.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
APP=$(dirname "$SELF")  # /srv/app in the image
TOOLS="$APP/tools"
: "${CKAN_INI:=$APP/run/ckan.ini}"
export CKAN_INI

log() { printf '[govshare] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The portal's one-time work; idempotent, and serialised between containers by
# tools/init_lock.py (a PostgreSQL advisory lock), so replicas can start together.
initialise() {
    log "ckan db upgrade"
    ckan db upgrade
    log "ckan db pending-migrations --apply"
    ckan db pending-migrations --apply
    if [[ -n ${CKAN_DATASTORE_WRITE_URL:-} ]]; then
        # As the owner of the databases, not a superuser (tools/datastore_permissions.py).
        log "ckan datastore set-permissions"
        ckan datastore set-permissions | python "$TOOLS/datastore_permissions.py"
    fi

    # The password reaches CKAN inside the process, not on a command line (tools/sysadmin.py).
    log "sysadmin"
    python "$TOOLS/sysadmin.py"

    # JavaScript translations (/api/i18n/<lang>): since CKAN 2.11 only `ckan run` and this
    # build them, into $CKAN_STORAGE_PATH/i18n/js (the storage volume, shared by the ckan
    # containers); rebuilt when a .po file is newer.
    log "ckan translation js"
    ckan translation js >/dev/null
    # The webassets, built once here: else the first requests of several workers build them
    # at the same time and some fail (FileExistsError on .webassets-cache).
    log "ckan asset build"
    ckan asset build >/dev/null

    if [[ ${GOVSHARE_DEMO:-0} == 1 ]]; then
        local marker="${CKAN_STORAGE_PATH:-/var/lib/ckan}/.govshare-demo-loaded"
        if [[ -f $marker ]]; then
            log "demo data already loaded ($marker exists)"
        else
            log "loading the demo data (ckan govshare demo-load)"
            ckan govshare demo-load ${GOVSHARE_DEMO_ENTRIES:+--entries "$GOVSHARE_DEMO_ENTRIES"}
            date -u +%FT%TZ >"$marker"
        fi
    fi

    # govshare.site_role (sharing|open|combined, e.g. CKAN___GOVSHARE__SITE_ROLE) decides which
    # entries are private and the search index's permission labels: after a change (or on a
    # first start) `ckan govshare apply-site-role` updates both, reindexing everything.
    local role applied="" role_marker="${CKAN_STORAGE_PATH:-/var/lib/ckan}/.govshare-site-role"
    role=$(python -c 'from ckan.cli import load_config; print(load_config().get("govshare.site_role") or "combined")')
    [[ -f $role_marker ]] && applied=$(<"$role_marker")
    if [[ $role != "$applied" ]]; then
        log "site role '$role' (was '${applied:-none}'): ckan govshare apply-site-role"
        ckan govshare apply-site-role
        printf '%s\n' "$role" >"$role_marker"
    fi
}

# First the environment: *_FILE secrets read, database URLs built, placeholder and short
# secrets refused, the runtime ini written (tools/runtime_ini.py); it then runs this script
# again in that environment.
if [[ ${GOVSHARE_ENVIRONMENT:-} != ready ]]; then
    exec python "$TOOLS/runtime_ini.py" "$CKAN_INI" bash "$SELF" "$@"
fi

cmd=${1:-web}
case $cmd in
    web)
        shift || true
        python "$TOOLS/wait_for_services.py"
        if [[ ${GOVSHARE_INIT:-1} == 1 ]]; then
            python "$TOOLS/init_lock.py" "$SELF" init-locked
        fi
        log "starting gunicorn"
        exec gunicorn --config "$APP/gunicorn.conf.py" --chdir "$APP" "$@" wsgi:application
        ;;
    worker)
        shift
        python "$TOOLS/wait_for_services.py"
        exec ckan jobs worker "$@"
        ;;
    scheduler)
        python "$TOOLS/wait_for_services.py"
        exec python "$TOOLS/scheduler.py"
        ;;
    harvest-gather)
        python "$TOOLS/wait_for_services.py"
        exec ckan govshare harvest-consumer gather
        ;;
    harvest-fetch)
        python "$TOOLS/wait_for_services.py"
        exec ckan govshare harvest-consumer fetch
        ;;
    init)
        python "$TOOLS/wait_for_services.py"
        exec python "$TOOLS/init_lock.py" "$SELF" init-locked
        ;;
    init-locked) # internal: run by tools/init_lock.py above
        initialise
        ;;
    *)
        exec "$@"
        ;;
esac
