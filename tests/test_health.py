"""GET /health, which `make run` and docker/'s health checks wait on: the state of
PostgreSQL, Solr and Redis as CKAN is configured to reach them, open to anyone."""
from __future__ import annotations

import socket
from typing import Iterator

import pytest
import sqlalchemy

SERVICES = {"postgresql", "solr", "redis"}


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port held by this test, where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("site_role", ["combined", "sharing"])
def test_all_up_is_200_for_anonymous(app, monkeypatch, ckan_config, site_role):
    # The sharing site sends the public to the login page, but not the health check.
    monkeypatch.setitem(ckan_config, "govshare.site_role", site_role)
    answer = app.get("/health")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert set(answer.json["services"]) == SERVICES
    assert all(state["ok"] for state in answer.json["services"].values())


@pytest.mark.parametrize("service, option, url", [
    ("solr", "solr_url", "http://127.0.0.1:{port}/solr/ckan_test"),
    ("postgresql", "sqlalchemy.url", "postgresql://ckan:pw-not-shown@127.0.0.1:{port}/govshare_test"),
    ("redis", "ckan.redis.url", "redis://:pw-not-shown@127.0.0.1:{port}/1"),
])
def test_a_service_down_is_503_naming_it(app, monkeypatch, ckan_config, closed_port,
                                         service, option, url):
    with monkeypatch.context() as patch:  # undone before the plugins are unloaded
        patch.setitem(ckan_config, option, url.format(port=closed_port))
        answer = app.get("/health")
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    states = answer.json["services"]
    assert not states[service]["ok"]
    assert all(states[other]["ok"] for other in SERVICES - {service})
    # The answer is public: no address, port or password of the service.
    for secret in ("127.0.0.1", str(closed_port), "pw-not-shown"):
        assert secret not in answer.get_data(as_text=True)


def test_database_down_for_ckan_itself_is_still_a_503_naming_it(app, monkeypatch, ckan_config,
                                                                closed_port):
    # CKAN queries the database before any view runs: point its session, and the health
    # check, at a port where no PostgreSQL listens.
    from ckan import model
    url = f"postgresql://ckan:ckan@127.0.0.1:{closed_port}/govshare_test"
    unreachable = sqlalchemy.create_engine(url)
    model.Session.remove()
    model.Session.configure(bind=unreachable)
    try:
        with monkeypatch.context() as patch:
            patch.setitem(ckan_config, "sqlalchemy.url", url)
            answer = app.get("/health")
    finally:
        model.Session.remove()
        model.Session.configure(bind=model.meta.engine)
        unreachable.dispose()
    assert answer.status_code == 503
    assert answer.json["status"] == "unavailable"
    assert not answer.json["services"]["postgresql"]["ok"]
    assert answer.json["services"]["solr"]["ok"] and answer.json["services"]["redis"]["ok"]
