#!/usr/bin/env bash
# Run once by the postgres image, when it initialises an empty data volume: what CKAN uses.
#   GOVSHARE_DB_USER            CKAN's role: owner of both databases, not a superuser
#   GOVSHARE_DB_NAME            CKAN's database
#   GOVSHARE_DATASTORE_DB_NAME  the DataStore's database (datastore plugin)
#   GOVSHARE_DATASTORE_RO_USER  the DataStore's read-only role
# The DataStore's permissions (`ckan datastore set-permissions`) are applied by the ckan
# container at every start, as the owner. Changing the variables later does not change an
# existing volume (ALTER ROLE by hand, or start from an empty volume).
# No `set -u`: the image sources (rather than runs) this file if it lost its executable bit.
set -eo pipefail
: "${GOVSHARE_DB_USER:?}" "${GOVSHARE_DB_PASSWORD:?}" "${GOVSHARE_DB_NAME:?}"
: "${GOVSHARE_DATASTORE_DB_NAME:?}" "${GOVSHARE_DATASTORE_RO_USER:?}" "${GOVSHARE_DATASTORE_RO_PASSWORD:?}"

# psql variables (:"name" quoted identifier, :'name' quoted literal) keep the values out of
# the SQL text; they work in SQL read from stdin, not in -c.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v db_user="$GOVSHARE_DB_USER" -v db_password="$GOVSHARE_DB_PASSWORD" \
     -v db_name="$GOVSHARE_DB_NAME" -v ds_name="$GOVSHARE_DATASTORE_DB_NAME" \
     -v ro_user="$GOVSHARE_DATASTORE_RO_USER" -v ro_password="$GOVSHARE_DATASTORE_RO_PASSWORD" <<'SQL'
CREATE ROLE :"db_user" LOGIN PASSWORD :'db_password';
CREATE ROLE :"ro_user" LOGIN PASSWORD :'ro_password';
-- The same encoding and locale as the local stack (scripts/stack.sh).
CREATE DATABASE :"db_name" OWNER :"db_user" ENCODING 'UTF8'
    LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0;
CREATE DATABASE :"ds_name" OWNER :"db_user" ENCODING 'UTF8'
    LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0;
SQL
echo "govshare: created roles $GOVSHARE_DB_USER, $GOVSHARE_DATASTORE_RO_USER" \
     "and databases $GOVSHARE_DB_NAME, $GOVSHARE_DATASTORE_DB_NAME"
