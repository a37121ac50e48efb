#!/usr/bin/env bash
# Run once by the postgres image, when it initialises an empty data volume: the role and
# database CKAN uses (owner of its database, not a superuser). Changing the variables later
# does not change an existing volume (ALTER ROLE by hand, or start from an empty volume).
# No `set -u`: the image sources (rather than runs) this file if it lost its executable bit.
set -eo pipefail
: "${GOVSHARE_DB_USER:?}" "${GOVSHARE_DB_PASSWORD:?}" "${GOVSHARE_DB_NAME:?}"

# psql variables (:"name" quoted identifier, :'name' quoted literal) keep the values out of
# the SQL text; they work in SQL read from stdin, not in -c.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v db_user="$GOVSHARE_DB_USER" -v db_password="$GOVSHARE_DB_PASSWORD" \
     -v db_name="$GOVSHARE_DB_NAME" <<'SQL'
CREATE ROLE :"db_user" LOGIN PASSWORD :'db_password';
-- The same encoding and locale as the local stack (scripts/stack.sh).
CREATE DATABASE :"db_name" OWNER :"db_user" ENCODING 'UTF8'
    LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0;
SQL
echo "govshare: created role $GOVSHARE_DB_USER and database $GOVSHARE_DB_NAME"
