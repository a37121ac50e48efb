#!/usr/bin/env bash
# Entrypoint of the db container (docker-compose.yml runs it with bash, then the postgres
# image's own docker-entrypoint.sh). Before a first start initialises the data volume:
#  * GOVSHARE_DB_PASSWORD and GOVSHARE_DATASTORE_RO_PASSWORD may come from files
#    (*_FILE, as the image itself allows for POSTGRES_PASSWORD_FILE), for 10-govshare-db.sh;
#  * the three passwords are refused when empty, placeholders (CHANGE_ME, example,
#    password, ...) or shorter than 16 characters: they are set once, here, for good.
# The ckan containers apply the same rules to their secrets (docker/tools/environment.py).
set -euo pipefail

die() { printf '[govshare] ERROR: %s\n' "$*" >&2; exit 1; }

file_env() {
    local name=$1 file_name="${1}_FILE"
    if [[ -n ${!file_name:-} ]]; then
        [[ -z ${!name:-} ]] || die "both $name and $file_name are set: keep one"
        [[ -r ${!file_name} ]] || die "$file_name: cannot read ${!file_name}"
        export "$name=$(<"${!file_name}")"
        unset "$file_name"
    fi
}

check_password() {
    local name=$1 value=$2 plain
    [[ -n $value ]] || die "$name (or ${name}_FILE) is not set"
    plain=$(tr -cd '[:alnum:]' <<<"${value,,}")
    for word in change placeholder example password passwd secret admin default replace todo fixme test 123456 qwerty; do
        [[ $plain != *"$word"* ]] || die "$name looks like a placeholder (it contains '$word')"
    done
    ((${#value} >= 16)) || die "$name has ${#value} characters, at least 16 are required"
}

if [[ ! -s ${PGDATA:-/var/lib/postgresql/data}/PG_VERSION ]]; then
    file_env GOVSHARE_DB_PASSWORD
    file_env GOVSHARE_DATASTORE_RO_PASSWORD
    superuser=${POSTGRES_PASSWORD:-}
    [[ -z ${POSTGRES_PASSWORD_FILE:-} ]] || superuser=$(<"$POSTGRES_PASSWORD_FILE")
    check_password POSTGRES_PASSWORD "$superuser"
    check_password GOVSHARE_DB_PASSWORD "${GOVSHARE_DB_PASSWORD:-}"
    check_password GOVSHARE_DATASTORE_RO_PASSWORD "${GOVSHARE_DATASTORE_RO_PASSWORD:-}"
    unset superuser
fi
exec docker-entrypoint.sh "$@"
