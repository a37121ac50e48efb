"""Repeated failed sign-ins are slowed down, per account and per address.

CKAN 2.12 has no login throttling (its authenticator only sends the ``failed_login``
signal), so failures are counted here in Redis (CKAN's own connection): after
``govshare.signin.max_failures`` failures for an account, or
``govshare.signin.max_failures_per_address`` from one address, sign-ins for that account or
from that address are refused, even with the right password, until
``govshare.signin.lockout_seconds`` have passed since the last failure. Counters expire by
themselves; a successful sign-in clears its account's.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import ckan.plugins.toolkit as tk
import flask
from ckan import model
from ckan.lib import signals
from ckan.lib.redis import connect_to_redis

from ckanext.govshare import audit
from ckanext.govshare.model.audit import FAILURE

_PREFIX = "govshare:signin-failures"


def _account(login: str) -> str:
    """One counter per account, whether it signs in by name or by email."""
    user = model.User.by_name(login) or model.User.by_email(login)
    return f"{_PREFIX}:account:{user.id if user else login.strip().lower()}"


def _address() -> str:
    return f"{_PREFIX}:address:{audit.client_ip() or 'unknown'}"


def _limits() -> tuple[tuple[str, int], ...]:
    return (("account", tk.config.get("govshare.signin.max_failures")),
            ("address", tk.config.get("govshare.signin.max_failures_per_address")))


def wait_seconds(login: str) -> int:
    """0 when this account may try from this address now, else the seconds to wait."""
    redis = connect_to_redis()
    keys = {"account": _account(login), "address": _address()}
    waits = [redis.ttl(keys[kind]) for kind, limit in _limits()
             if int(redis.get(keys[kind]) or 0) >= limit]
    return max([w for w in waits if w > 0] or [0])


def _failed(login: str, **_: Any) -> None:
    if not flask.has_request_context():
        return
    lockout = tk.config.get("govshare.signin.lockout_seconds")
    with connect_to_redis().pipeline() as pipe:
        for key in (_account(login), _address()):
            pipe.incr(key).expire(key, lockout)
        pipe.execute()


def _succeeded(sender: Any, user: Any = None, **_: Any) -> None:
    if user is not None and getattr(user, "id", None):
        connect_to_redis().delete(f"{_PREFIX}:account:{user.id}")


def refuse_throttled() -> Optional[Any]:
    """Before the login form is checked: an account or address over its limit is refused
    (the password is not even tried), with how long to wait."""
    if flask.request.endpoint != "user.login" or flask.request.method != "POST":
        return None
    login = flask.request.form.get("login") or ""
    wait = wait_seconds(login) if login else 0
    if not wait:
        return None
    user = model.User.by_name(login) or model.User.by_email(login)
    audit.record_now(audit.LOGIN_THROTTLED, "user", user.id if user else None,
                     {"login": login[:100]}, FAILURE, actor=user, actor_name=login[:100])
    message = tk._("Too many failed sign-ins: try again in {minutes} minute(s).").format(
        minutes=math.ceil(wait / 60))
    tk.h.flash_error(message)
    return tk.render("user/login.html", {}), 429


def connect() -> None:
    signals.failed_login.connect(_failed)
    signals.user_logged_in.connect(_succeeded)
