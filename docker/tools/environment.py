"""The ckan containers' environment, completed and checked before anything starts
(runtime_ini.py, at every container start).

* Each secret is NAME or, Docker-secrets style, the contents of the file NAME_FILE
  (docker-compose.secrets.yml), so it appears in neither docker/.env, `docker inspect` nor
  a command line.
* The database URLs are built from GOVSHARE_DB_* when CKAN_SQLALCHEMY_URL /
  CKAN_DATASTORE_*_URL are not given, so their passwords can come from files too.
* GUNICORN_FORWARDED_ALLOW_IPS, when not given, is the networks the container is attached
  to: gunicorn then believes X-Forwarded-Proto from nginx (which sets it itself), never
  from a client.
* A secret that is required and empty, looks like a placeholder (CHANGE_ME, example,
  password, ...) or is too short stops the container with a message naming the variable:
  a forgotten docker/.env must not give a public signing key or an admin/CHANGE_ME sysadmin.
"""
from __future__ import annotations

import ipaddress
import re
import socket
import struct
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from messages import die


@dataclass(frozen=True)
class Secret:
    min_length: int = 0  # 0: any length (a password someone else chose, e.g. the SMTP one)
    url_safe: bool = False  # goes unescaped into a URL


SECRETS = {
    "CKAN_SECRET_KEY": Secret(min_length=32),  # signs sessions, CSRF and API tokens
    "GOVSHARE_DB_PASSWORD": Secret(min_length=16, url_safe=True),
    "GOVSHARE_DATASTORE_RO_PASSWORD": Secret(min_length=16, url_safe=True),
    "GOVSHARE_ADMIN_PASSWORD": Secret(min_length=12),
    "CKAN_SQLALCHEMY_URL": Secret(),
    "CKAN_DATASTORE_WRITE_URL": Secret(),
    "CKAN_DATASTORE_READ_URL": Secret(),
    "CKAN_REDIS_URL": Secret(),
    "CKAN_SOLR_PASSWORD": Secret(),
    "CKAN_SMTP_PASSWORD": Secret(),
    "GOVSHARE_OPEN_SITE_API_TOKEN": Secret(),
}
URLS = ("CKAN_SQLALCHEMY_URL", "CKAN_DATASTORE_WRITE_URL", "CKAN_DATASTORE_READ_URL",
        "CKAN_REDIS_URL")
# Compared with the value lower-cased and without punctuation: "Change_Me!" -> "changeme".
PLACEHOLDER_WORDS = ("change", "placeholder", "example", "password", "passwd", "secret",
                     "admin", "default", "replace", "todo", "fixme", "test", "123456",
                     "qwerty")
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


def read_files(env: Mapping[str, str]) -> dict[str, str]:
    """ENV with each NAME_FILE of a secret replaced by NAME = the file's contents."""
    done = dict(env)
    for name in SECRETS:
        path = done.pop(f"{name}_FILE", "")
        if not path:
            continue
        if done.get(name):
            die(f"both {name} and {name}_FILE are set: keep one")
        try:
            with open(path, encoding="utf-8") as f:
                done[name] = f.read().rstrip("\r\n")
        except OSError as e:
            die(f"{name}_FILE: cannot read {path}: {e.strerror}")
    return done


def database_urls(env: Mapping[str, str]) -> dict[str, str]:
    """The PostgreSQL URLs that ENV does not give, built from GOVSHARE_DB_HOST and friends
    (docker-compose.yml sets them; a deployment with full URLs needs none of them)."""
    host = env.get("GOVSHARE_DB_HOST")
    if not host:
        return {}
    server = f"{host}:{env.get('GOVSHARE_DB_PORT') or '5432'}"
    owner, reader = env.get("GOVSHARE_DB_USER") or "ckan", env.get("GOVSHARE_DATASTORE_RO_USER") or "datastore_ro"
    db, datastore = env.get("GOVSHARE_DB_NAME") or "govshare", env.get("GOVSHARE_DATASTORE_DB_NAME") or "govshare_datastore"
    wanted = {
        "CKAN_SQLALCHEMY_URL": ("GOVSHARE_DB_PASSWORD", owner, db),
        "CKAN_DATASTORE_WRITE_URL": ("GOVSHARE_DB_PASSWORD", owner, datastore),
        "CKAN_DATASTORE_READ_URL": ("GOVSHARE_DATASTORE_RO_PASSWORD", reader, datastore),
    }
    urls = {}
    for url, (password, user, name) in wanted.items():
        if env.get(url):
            continue
        if not env.get(password):
            die(f"{password} (or {password}_FILE) is not set, and neither is {url}")
        urls[url] = f"postgresql://{user}:{env[password]}@{server}/{name}"
    return urls


def attached_networks(route_table: str = "/proc/net/route") -> list[str]:
    """The IPv4 networks of this container's interfaces (not loopback), as CIDRs."""
    networks = []
    try:
        with open(route_table, encoding="ascii") as f:
            rows = [line.split() for line in f.readlines()[1:]]
    except OSError:
        return []
    for row in rows:
        iface, destination, mask = row[0], row[1], row[7]
        if iface == "lo" or int(destination, 16) == 0:  # the default route
            continue
        address = socket.inet_ntoa(struct.pack("<L", int(destination, 16)))
        prefix = bin(int(mask, 16)).count("1")
        networks.append(str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))
    return sorted(set(networks))


def refusal(name: str, value: str, secret: Secret) -> str | None:
    """Why VALUE cannot be the secret NAME, or None."""
    plain = re.sub(r"[^a-z0-9]", "", value.lower())
    word = next((w for w in PLACEHOLDER_WORDS if w in plain), None)
    if word:
        return f"{name} looks like a placeholder (it contains '{word}')"
    if len(set(value)) < 4:
        return f"{name} looks like a placeholder (fewer than 4 different characters)"
    if len(value) < secret.min_length:
        return f"{name} has {len(value)} characters, at least {secret.min_length} are required"
    if secret.url_safe and not URL_SAFE.fullmatch(value):
        return (f"{name} may contain only letters, digits and - _ . ~ "
                "(it goes unescaped into a database URL)")
    return None


def url_password(url: str) -> str:
    try:
        return urllib.parse.urlsplit(url).password or ""
    except ValueError:
        return ""


def completed(env: Mapping[str, str]) -> dict[str, str]:
    """ENV with the secrets read from their files and the database URLs built; stops the
    container when CKAN_SECRET_KEY is missing or any secret given is unfit."""
    done = read_files(env)
    if not done.get("CKAN_SECRET_KEY"):
        die(f"CKAN_SECRET_KEY (or CKAN_SECRET_KEY_FILE) is not set; generate one with {GENERATE}")
    problems = []
    for name, secret in SECRETS.items():
        value = done.get(name, "")
        if name in URLS:  # given whole (an external service): its password, if any
            name, value = f"the password in {name}", url_password(value)
        problem = refusal(name, value, secret) if value else None
        if problem:
            problems.append(problem)
    if problems:
        die("refusing to start with unfit secrets:\n  " + "\n  ".join(problems)
            + f"\ngenerate each with {GENERATE}")
    done.update(database_urls(done))
    if not done.get("GUNICORN_FORWARDED_ALLOW_IPS"):
        done["GUNICORN_FORWARDED_ALLOW_IPS"] = ",".join(attached_networks()) or "127.0.0.1"
    return done
