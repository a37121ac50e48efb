"""Run a command holding a PostgreSQL advisory lock: `python init_lock.py CMD [ARG...]`.

Serialises the portal's one-time initialisation (entrypoint.sh `init-locked`) between
several ckan containers, so replicas can start together. Exits with the command's status.
"""
from __future__ import annotations

import os
import subprocess
import sys

from messages import die, log

# An arbitrary constant shared by every container of the deployment.
INIT_LOCK_KEY = 7_301_123_985


def main(argv: list[str]) -> None:
    import psycopg2

    if not argv:
        die("init_lock: no command")
    conn = psycopg2.connect(os.environ["CKAN_SQLALCHEMY_URL"], connect_timeout=10)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (INIT_LOCK_KEY,))
        if not cur.fetchone()[0]:
            log("another container is initialising the portal; waiting for it")
            cur.execute("SELECT pg_advisory_lock(%s)", (INIT_LOCK_KEY,))
    try:
        rc = subprocess.call(argv)
    finally:
        conn.close()  # releases the lock
    sys.exit(rc)


if __name__ == "__main__":
    main(sys.argv[1:])
