"""Apply CKAN's DataStore permissions script without a superuser:
`ckan datastore set-permissions | python datastore_permissions.py`.

The script is meant for `psql` as a superuser; everything in it is also allowed to the owner
of both databases (in PostgreSQL 15 the owner of a database owns its `public` schema), which
is what the write user is here (docker/postgres/10-govshare-db.sh).
"""
from __future__ import annotations

import os
import sys

from messages import die, log


def main() -> None:
    import psycopg2

    url = os.environ.get("CKAN_DATASTORE_WRITE_URL")
    if not url:
        die("CKAN_DATASTORE_WRITE_URL is not set")
    # `\connect DB` (psql only) selects the DataStore database: the URL already does.
    sql = "\n".join(line for line in sys.stdin.read().splitlines()
                    if not line.lstrip().startswith("\\"))
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()
    log("DataStore permissions set")


if __name__ == "__main__":
    main()
