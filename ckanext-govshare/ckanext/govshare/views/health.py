"""``GET /health``: whether the portal's services answer, for `make run`, docker/'s health
checks and a monitoring system. Open to anyone, so it names each service's state and
the kind of failure, never an address or a credential."""
from __future__ import annotations

import functools
import time
from typing import Any, Callable

import ckan.plugins.toolkit as tk
import redis
import requests
import sqlalchemy
from flask import jsonify, request
from sqlalchemy.pool import NullPool

from ckanext.govshare.views.base import govshare

# Seconds each service has to answer: a health check that hangs is no answer.
TIMEOUT = 2


@functools.cache
def _engine(url: str) -> sqlalchemy.engine.Engine:
    """A connection of its own per check, with timeouts: CKAN's pool has none, and a
    check should see a database that went away, not a pooled connection."""
    return sqlalchemy.create_engine(url, poolclass=NullPool, connect_args={
        "connect_timeout": TIMEOUT, "options": f"-c statement_timeout={TIMEOUT * 1000}"})


def _postgresql() -> None:
    with _engine(tk.config["sqlalchemy.url"]).connect() as connection:
        connection.execute(sqlalchemy.text("SELECT 1")).scalar_one()


def _solr() -> None:
    """The configured core's ping handler (the core may be down while Solr is up)."""
    user, password = tk.config.get("solr_user"), tk.config.get("solr_password")
    answer = requests.get(tk.config["solr_url"].rstrip("/") + "/admin/ping",
                          params={"wt": "json"}, timeout=TIMEOUT,
                          auth=(user, password) if user and password else None)
    answer.raise_for_status()
    if answer.json().get("status") != "OK":
        raise RuntimeError("ping not OK")


def _redis() -> None:
    connection = redis.Redis.from_url(tk.config["ckan.redis.url"], socket_timeout=TIMEOUT,
                                      socket_connect_timeout=TIMEOUT)
    try:
        connection.ping()
    finally:
        connection.close()


CHECKS: dict[str, Callable[[], None]] = {
    "postgresql": _postgresql, "solr": _solr, "redis": _redis}


def _state(check: Callable[[], None]) -> dict[str, Any]:
    """ok, the time taken, and on failure the error's kind (its message may hold the
    service's address)."""
    start = time.monotonic()
    try:
        check()
        state: dict[str, Any] = {"ok": True}
    except Exception as error:  # any failure is the service's state, reported, not raised
        state = {"ok": False, "error": type(error).__name__}
    state["ms"] = round((time.monotonic() - start) * 1000, 1)
    return state


@govshare.route("/health")
def health() -> Any:
    """200 when every service answers, else 503; `services` says which does not."""
    services = {name: _state(check) for name, check in CHECKS.items()}
    up = all(state["ok"] for state in services.values())
    response = jsonify({"status": "ok" if up else "unavailable", "services": services})
    response.status_code = 200 if up else 503
    return response


@govshare.app_errorhandler(sqlalchemy.exc.DBAPIError)
def database_down(error: sqlalchemy.exc.DBAPIError) -> Any:
    """CKAN reads the database before any view (app globals, the user): without it, the
    health check still answers, naming the database; every other page fails as before."""
    if request.endpoint != "govshare.health":
        raise error
    return health()
