"""docker/ without a Docker engine: the environment and runtime ini the ckan image makes at start
(secrets from files, placeholders refused), the image's files as the Dockerfile, its .dockerignore,
entrypoint.sh and the compose file name them, the nginx configuration, the healthchecks, the
scheduler's lock (on the test stack's Redis), the sysadmin and the JavaScript translations (on its
PostgreSQL)."""
from __future__ import annotations

import http.server
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from ckan.plugins import toolkit

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
TOOLS = DOCKER / "tools"
sys.path.insert(0, str(TOOLS))
import environment  # noqa: E402  (docker/tools/environment.py)
import scheduler  # noqa: E402  (docker/tools/scheduler.py)

KEY = secrets.token_urlsafe(32)  # a CKAN_SECRET_KEY the checks accept
# The image's `python` and `ckan` are this interpreter's.
PATH = f"{Path(sys.executable).parent}:{os.environ['PATH']}"

# CKAN's ini loader as the image runs it (`ckan`, gunicorn's wsgi.py): the options of $CKAN_INI.
LOAD = """
import json, sys
from ckan.cli import load_config
config = load_config(sys.argv[1])
print(json.dumps({k: str(v) for k, v in config.items()}))
"""


def runtime_ini(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """tools/runtime_ini.py as entrypoint.sh runs it, in an environment of ENV only."""
    env = {"GOVSHARE_BASE_INI": str(ROOT / "config" / "production.ini"),
           "PATH": PATH, **env}
    return subprocess.run([sys.executable, str(TOOLS / "runtime_ini.py"),
                           str(tmp_path / "run" / "ckan.ini"), *command],
                          env=env, capture_output=True, text=True)


PRINT_ENV = (sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))")


def started_with(tmp_path: Path, **env: str) -> dict[str, str]:
    """The environment a command gets from docker/entrypoint.sh (which runs runtime_ini.py
    and then itself again) started with ENV."""
    env = {"GOVSHARE_BASE_INI": str(ROOT / "config" / "production.ini"),
           "CKAN_INI": str(tmp_path / "run" / "ckan.ini"), "PATH": PATH,
           "CKAN_SITE_URL": "http://x", **env}
    done = subprocess.run(["bash", str(DOCKER / "entrypoint.sh"), *PRINT_ENV],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def loaded(tmp_path: Path, **env: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", LOAD, str(tmp_path / "run" / "ckan.ini")],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_environment_options_reach_ckan_through_the_runtime_ini(tmp_path):
    env = {"CKAN_SECRET_KEY": KEY, "CKAN_SITE_URL": "https://data.example.gov.cn",
           "CKAN__AUTH__CREATE_USER_VIA_WEB": "false",
           "CKANEXT__DCAT__BASE_URI": "https://data.example.gov.cn",
           "CKAN___SESSION_COOKIE_SAMESITE": "Strict",
           "GOVSHARE_SITE_ROLE": "open", "CKAN___GOVSHARE__SITE_ROLE": "sharing",
           "GOVSHARE_OPEN_SITE_URL": "https://open.example.gov.cn",
           "CKAN__DATASETS_PER_PAGE": ""}
    done = runtime_ini(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    config = loaded(tmp_path, **env)
    assert config["SECRET_KEY"] == KEY
    assert config["ckan.auth.create_user_via_web"] == "false"
    assert config["ckanext.dcat.base_uri"] == "https://data.example.gov.cn"
    assert config["SESSION_COOKIE_SAMESITE"] == "Strict"  # declared upper case: kept
    assert config["govshare.site_role"] == "sharing"  # CKAN___ wins over the short name
    assert config["govshare.open_site.url"] == "https://open.example.gov.cn"
    assert config["SESSION_COOKIE_SECURE"] == config["REMEMBER_COOKIE_SECURE"] == "true"
    assert "ckan.datasets_per_page" not in config  # empty: unset
    assert "govshare" in config["ckan.plugins"].split()  # common.ini under production.ini
    # Sign-ins do not last a year (CKAN's defaults): 30 minutes idle, "remember me" 8 hours.
    assert config["PERMANENT_SESSION_LIFETIME"] == "1800"
    assert config["SESSION_REFRESH_EACH_REQUEST"] == "true"
    assert config["REMEMBER_COOKIE_DURATION"] == "28800"
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] == config["SESSION_COOKIE_HTTPONLY"] == "true"


def test_plain_http_site_keeps_cookies_usable_and_values_are_written_as_given(tmp_path):
    env = {"CKAN_SECRET_KEY": KEY, "CKAN_SITE_URL": "http://127.0.0.1",
           "CKAN__VIEWS__DEFAULT_VIEWS": "image_view\ndatatables_view"}
    assert runtime_ini(tmp_path, **env).returncode == 0
    config = loaded(tmp_path, **env)
    assert "SESSION_COOKIE_SECURE" not in config
    assert config["ckan.views.default_views"].split() == ["image_view", "datatables_view"]


def test_a_percent_sign_or_a_missing_secret_stops_the_container_with_the_reason(tmp_path):
    done = runtime_ini(tmp_path, CKAN_SECRET_KEY=KEY, CKAN_SITE_URL="http://x",
                       CKAN_SMTP_PASSWORD="50%off-and-more")
    assert done.returncode == 1 and "CKAN_SMTP_PASSWORD" in done.stderr
    assert not (tmp_path / "run" / "ckan.ini").exists()
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x")
    assert done.returncode == 1
    assert "CKAN_SECRET_KEY (or CKAN_SECRET_KEY_FILE) is not set" in done.stderr


GOOD = {"CKAN_SECRET_KEY": KEY, "CKAN_SITE_URL": "http://x", "GOVSHARE_DB_HOST": "db",
        "GOVSHARE_DB_PASSWORD": secrets.token_urlsafe(16),
        "GOVSHARE_DATASTORE_RO_PASSWORD": secrets.token_urlsafe(16),
        "GOVSHARE_ADMIN_PASSWORD": secrets.token_urlsafe(12)}


@pytest.mark.parametrize("name, value, reason", [
    ("CKAN_SECRET_KEY", "CHANGE_ME", "CKAN_SECRET_KEY looks like a placeholder (it contains 'change')"),
    # a fixed value: a random one in a test id differs between xdist workers, which refuse that
    ("CKAN_SECRET_KEY", "kkk5ce4148f6f14a68e1b6f", "CKAN_SECRET_KEY has 23 characters, at least 32"),
    ("CKAN_SECRET_KEY", "x" * 40, "CKAN_SECRET_KEY looks like a placeholder (fewer than 4"),
    ("GOVSHARE_DB_PASSWORD", "my-example-password", "GOVSHARE_DB_PASSWORD looks like a placeholder"),
    ("GOVSHARE_DB_PASSWORD", "Gq7@pL2#vX9!mR4$", "GOVSHARE_DB_PASSWORD may contain only letters"),
    ("GOVSHARE_DATASTORE_RO_PASSWORD", "Xk29fLq0", "GOVSHARE_DATASTORE_RO_PASSWORD has 8 characters"),
    ("GOVSHARE_ADMIN_PASSWORD", "Admin@2024!xyz", "GOVSHARE_ADMIN_PASSWORD looks like a placeholder (it contains 'admin')"),
    ("GOVSHARE_ADMIN_PASSWORD", "Zq8-mW3", "GOVSHARE_ADMIN_PASSWORD has 7 characters, at least 12"),
    ("CKAN_REDIS_URL", "redis://:changeme@redis:6379/0", "the password in CKAN_REDIS_URL looks like a placeholder"),
    ("CKAN_SMTP_PASSWORD", "CHANGE_ME", "CKAN_SMTP_PASSWORD looks like a placeholder"),
])
def test_placeholder_and_short_secrets_stop_the_container_naming_the_variable(tmp_path, name, value, reason):
    assert runtime_ini(tmp_path, *PRINT_ENV, **GOOD).returncode == 0
    (tmp_path / "run" / "ckan.ini").unlink()
    done = runtime_ini(tmp_path, *PRINT_ENV, **{**GOOD, name: value})
    assert done.returncode == 1
    assert reason in done.stderr
    assert "secrets.token_urlsafe" in done.stderr  # how to make a good one
    assert not (tmp_path / "run" / "ckan.ini").exists() and not done.stdout  # nothing started


def test_the_examples_leave_every_secret_blank():
    values = dict(line.split("=", 1) for line in (DOCKER / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#"))
    for name in ("CKAN_SECRET_KEY", "POSTGRES_PASSWORD", "GOVSHARE_DB_PASSWORD",
                 "GOVSHARE_DATASTORE_RO_PASSWORD", "GOVSHARE_ADMIN_PASSWORD"):
        assert values[name] == "", name
    for example in DOCKER.glob("*.example"):
        assert not re.search(r"^[A-Z_]*(SECRET|PASSWORD|TOKEN)[A-Z_]*=.+$", example.read_text(), re.M), example
    compose = (DOCKER / "docker-compose.yml").read_text()
    assert "CHANGE_ME" not in compose and not re.search(r"(PASSWORD|SECRET_KEY):-[^}]", compose)


def test_secrets_come_from_files_and_reach_commands_started_later(tmp_path):
    files = {}
    for name in ("CKAN_SECRET_KEY", "GOVSHARE_DB_PASSWORD", "GOVSHARE_DATASTORE_RO_PASSWORD",
                 "GOVSHARE_ADMIN_PASSWORD"):
        files[name] = tmp_path / name.lower()
        files[name].write_text(GOOD[name] + "\n")  # as `echo`/`print` write it
    env = started_with(tmp_path, GOVSHARE_DB_HOST="db", GOVSHARE_DB_PASSWORD="",
                       **{f"{name}_FILE": str(path) for name, path in files.items()})
    assert env["CKAN_SECRET_KEY"] == KEY
    assert env["GOVSHARE_ADMIN_PASSWORD"] == GOOD["GOVSHARE_ADMIN_PASSWORD"]
    password, ro_password = GOOD["GOVSHARE_DB_PASSWORD"], GOOD["GOVSHARE_DATASTORE_RO_PASSWORD"]
    assert env["CKAN_SQLALCHEMY_URL"] == f"postgresql://ckan:{password}@db:5432/govshare"
    assert env["CKAN_DATASTORE_WRITE_URL"] == f"postgresql://ckan:{password}@db:5432/govshare_datastore"
    assert env["CKAN_DATASTORE_READ_URL"] == f"postgresql://datastore_ro:{ro_password}@db:5432/govshare_datastore"
    assert not any(name.endswith("_FILE") for name in env)
    # `docker compose exec ckan ckan ...` has none of that environment: the ini has the secrets,
    # and only its owner can read it.
    ini = tmp_path / "run" / "ckan.ini"
    assert ini.stat().st_mode & 0o777 == 0o600
    config = loaded(tmp_path, PATH=PATH)
    assert config["SECRET_KEY"] == KEY
    assert config["sqlalchemy.url"] == env["CKAN_SQLALCHEMY_URL"]
    assert config["ckan.datastore.read_url"] == env["CKAN_DATASTORE_READ_URL"]


def test_the_secrets_override_gives_files_the_containers_read():
    override = yaml.safe_load((DOCKER / "docker-compose.secrets.yml").read_text())
    db_reads = set(re.findall(r"file_env (\w+)", (DOCKER / "postgres" / "entrypoint.sh").read_text()))
    for name, service in override["services"].items():
        mounted = {f"/run/secrets/{secret}" for secret in service["secrets"]}
        for variable, path in service["environment"].items():
            assert variable.endswith("_FILE") and path in mounted, (name, variable)
            secret = variable[:-len("_FILE")]
            # The postgres image reads POSTGRES_PASSWORD_FILE itself.
            known = db_reads | {"POSTGRES_PASSWORD"} if name == "db" else set(environment.SECRETS)
            assert secret in known, (name, variable)
    assert set(override["secrets"]) == {s for service in override["services"].values() for s in service["secrets"]}


def test_a_secret_file_is_checked_like_the_variable(tmp_path):
    key = tmp_path / "key"
    key.write_text("CHANGE_ME")
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x", CKAN_SECRET_KEY_FILE=str(key))
    assert done.returncode == 1 and "CKAN_SECRET_KEY looks like a placeholder" in done.stderr
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x", CKAN_SECRET_KEY_FILE=str(tmp_path / "none"))
    assert done.returncode == 1 and f"CKAN_SECRET_KEY_FILE: cannot read {tmp_path / 'none'}" in done.stderr
    key.write_text(KEY)
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x", CKAN_SECRET_KEY_FILE=str(key), CKAN_SECRET_KEY=KEY)
    assert done.returncode == 1 and "both CKAN_SECRET_KEY and CKAN_SECRET_KEY_FILE are set" in done.stderr
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x", CKAN_SECRET_KEY=KEY, GOVSHARE_DB_HOST="db")
    assert done.returncode == 1
    assert "GOVSHARE_DB_PASSWORD (or GOVSHARE_DB_PASSWORD_FILE) is not set" in done.stderr


def test_gunicorn_believes_forwarded_headers_from_the_stack_networks_only(tmp_path):
    routes = tmp_path / "route"
    routes.write_text(
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t010012AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"  # default route
        "eth0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"  # 172.18.0.0/16
        "eth1\t0010A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")  # 192.168.16.0/24
    assert environment.attached_networks(str(routes)) == ["172.18.0.0/16", "192.168.16.0/24"]
    assert "*" not in started_with(tmp_path, CKAN_SECRET_KEY=KEY)["GUNICORN_FORWARDED_ALLOW_IPS"]
    given = started_with(tmp_path, CKAN_SECRET_KEY=KEY, GUNICORN_FORWARDED_ALLOW_IPS="10.9.8.7")
    assert given["GUNICORN_FORWARDED_ALLOW_IPS"] == "10.9.8.7"
    compose = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    assert "GUNICORN_FORWARDED_ALLOW_IPS" in compose["services"]["ckan"]["environment"]


def db_entrypoint(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """postgres/entrypoint.sh before a first start, the image's entrypoint replaced by one
    that prints the environment it gets."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "docker-entrypoint.sh"
    fake.write_text(f"#!/bin/sh\nexec {shlex.join(PRINT_ENV)}\n")
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{PATH}", "PGDATA": str(tmp_path / "pgdata"), **env}
    return subprocess.run(["bash", str(DOCKER / "postgres" / "entrypoint.sh"), "postgres"],
                          env=env, capture_output=True, text=True)


def test_the_db_container_refuses_placeholders_before_initialising_its_volume(tmp_path):
    ro = tmp_path / "ro"
    ro.write_text(GOOD["GOVSHARE_DATASTORE_RO_PASSWORD"] + "\n")
    good = {"POSTGRES_PASSWORD": secrets.token_urlsafe(16), "GOVSHARE_DB_PASSWORD": GOOD["GOVSHARE_DB_PASSWORD"],
            "GOVSHARE_DATASTORE_RO_PASSWORD_FILE": str(ro)}
    done = db_entrypoint(tmp_path, **good)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["GOVSHARE_DATASTORE_RO_PASSWORD"] == GOOD["GOVSHARE_DATASTORE_RO_PASSWORD"]
    done = db_entrypoint(tmp_path, **{**good, "POSTGRES_PASSWORD": "CHANGE_ME"})
    assert done.returncode == 1 and not done.stdout
    assert "POSTGRES_PASSWORD looks like a placeholder" in done.stderr
    done = db_entrypoint(tmp_path, **{**good, "GOVSHARE_DB_PASSWORD": "short-1"})
    assert done.returncode == 1 and "GOVSHARE_DB_PASSWORD has 7 characters" in done.stderr
    # An initialised volume keeps the passwords it was made with: nothing to check then.
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "PG_VERSION").write_text("15\n")
    assert db_entrypoint(tmp_path, POSTGRES_PASSWORD="").returncode == 0
    # The same words as the ckan containers refuse.
    words = re.search(r"for word in ([^;]+);", (DOCKER / "postgres" / "entrypoint.sh").read_text())
    assert tuple(words.group(1).split()) == environment.PLACEHOLDER_WORDS


def _pattern(glob: str) -> re.Pattern[str]:
    """A .dockerignore pattern: `*` and `?` within a path segment, `**` across; a directory
    stands for everything below it."""
    regex = "".join(".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?"
                    else re.escape(part) for part in re.split(r"(\*\*|\*|\?)", glob.strip("/")))
    return re.compile(f"{regex}(/.*)?")


def in_context(path: str, ignore: Path) -> bool:
    """Whether the build context keeps PATH: the last pattern matching it decides."""
    kept = True
    for line in ignore.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            if _pattern(line.lstrip("!")).fullmatch(path):
                kept = negated
    return kept


def image_files() -> dict[str, Path]:
    """Files the Dockerfile copies from the context into the runtime image, by image path."""
    files: dict[str, Path] = {}
    runtime = (DOCKER / "Dockerfile").read_text().rsplit("\nFROM ", 1)[1]  # the last stage
    for line in runtime.splitlines():
        words = [w for w in line.split() if not w.startswith("--")]
        if not words or words[0] != "COPY" or "--from=" in line:
            continue
        *sources, dest = words[1:]
        for source in sources:
            local = ROOT / source
            for file in ([local] if local.is_file() else sorted(local.rglob("*.py"))):
                name = file.name if local.is_file() else str(file.relative_to(local))
                files[dest + name if dest.endswith("/") else dest] = file
    return files


def test_every_file_the_image_copies_exists_and_is_in_the_build_context():
    files = image_files()
    assert files
    for image_path, file in files.items():
        assert file.is_file(), image_path
        assert in_context(str(file.relative_to(ROOT)), DOCKER / "Dockerfile.dockerignore"), file


def test_entrypoint_and_healthchecks_run_tools_the_image_has():
    files = image_files()
    compose = (DOCKER / "docker-compose.yml").read_text()
    used = set(re.findall(r"/srv/app/[\w/.-]+\.(?:py|sh)", compose))
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    used |= {f"/srv/app/tools/{name}" for name in re.findall(r'"\$TOOLS/(\w+\.py)"', entrypoint)}
    assert {"/srv/app/tools/healthcheck.py", "/srv/app/tools/runtime_ini.py"} <= used
    assert used <= set(files), used - set(files)
    usage = subprocess.run([sys.executable, str(files["/srv/app/tools/healthcheck.py"]), "?"],
                           capture_output=True, text=True)
    assert usage.returncode == 1
    checks = re.findall(r'"/srv/app/tools/healthcheck.py", "([\w-]+)"', compose)
    assert sorted(checks) == sorted(usage.stderr.split()[-1].split("|"))


def test_the_sysadmin_is_created_without_its_password_on_a_command_line(clean_db):
    import ckan.model as model

    name = f"platform-{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(12)
    env = {**os.environ, "PATH": PATH, "CKAN_INI": str(ROOT / "config" / "test.ini"),
           "GOVSHARE_ADMIN_NAME": name, "GOVSHARE_ADMIN_EMAIL": f"{name}@example.gov.cn",
           "GOVSHARE_ADMIN_PASSWORD": password}
    for _ in range(2):  # the second start finds the user and leaves it as it is
        done = subprocess.run([sys.executable, str(TOOLS / "sysadmin.py")], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    model.Session.remove()
    user = model.User.by_name(name)
    assert user.sysadmin and user.validate_password(password)
    assert model.Session.query(model.User).filter_by(email=f"{name}@example.gov.cn").count() == 1
    # What entrypoint.sh runs: the tool, not `ckan sysadmin add ... password=...` (argv, ps).
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    assert 'python "$TOOLS/sysadmin.py"' in entrypoint and "password=" not in entrypoint


def test_javascript_translations_are_built_for_the_chinese_ui(tmp_path, app, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    assert json.loads(app.get("/api/i18n/zh_Hans_CN").body) == {}  # what the image served
    ini = tmp_path / "ckan.ini"
    ini.write_text(f"[app:main]\nuse = config:{ROOT / 'config' / 'test.ini'}\n"
                   f"ckan.storage_path = {tmp_path}\n")
    # The command entrypoint.sh runs while initialising, into the storage volume.
    initialise = (DOCKER / "entrypoint.sh").read_text().split("initialise() {", 1)[1].split("\n}", 1)[0]
    assert "ckan translation js" in initialise
    # (CKAN_STORAGE_PATH as well: under xdist the environment has the worker's, which wins)
    done = subprocess.run([str(Path(sys.executable).parent / "ckan"), "-c", str(ini), "translation", "js"],
                          env={**os.environ, "PATH": PATH, "CKAN_STORAGE_PATH": str(tmp_path)},
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "i18n" / "js" / "zh_Hans_CN.js").is_file()
    translations = json.loads(app.get("/api/i18n/zh_Hans_CN").body)
    assert len(translations) > 10
    assert re.search(r"[\u4e00-\u9fff]", json.dumps(translations, ensure_ascii=False))


# ---------------------------------------------------------------- nginx

NGINX = DOCKER / "nginx"
INCLUDES = "/etc/nginx/govshare/"
SECURITY_HEADERS = {"X-Frame-Options", "Content-Security-Policy", "X-Content-Type-Options",
                    "Referrer-Policy", "Strict-Transport-Security"}


def nginx_conf(path: Path) -> list[tuple[str, list[str], list | None]]:
    """An nginx file as (directive, arguments, block or None), with the includes of
    /etc/nginx/govshare/ (nginx/govshare/ here) expanded in place."""
    text = re.sub(r"#[^\n]*", "", path.read_text())
    # ${NAME}: a variable of the nginx image's template rendering, part of a word.
    tokens = re.findall(r'"[^"]*"|(?:\$\{\w+\}|[^\s{};])+|[{};]', text)

    def parse(i: int) -> tuple[list, int]:
        items: list = []
        words: list[str] = []
        while i < len(tokens):
            token, i = tokens[i], i + 1
            if token == ";":
                if words[0] == "include" and words[1].startswith(INCLUDES):
                    items += nginx_conf(NGINX / "govshare" / words[1][len(INCLUDES):])
                else:
                    items.append((words[0], words[1:], None))
                words = []
            elif token == "{":
                block, i = parse(i)
                items.append((words[0], words[1:], block))
                words = []
            elif token == "}":
                return items, i
            else:
                words.append(token[1:-1] if token.startswith('"') else token)
        return items, i

    return parse(0)[0]


def blocks(conf: list, name: str) -> list[tuple[list[str], list]]:
    found = []
    for directive, args, block in conf:
        if block is not None:
            if directive == name:
                found.append((args, block))
            found += blocks(block, name)
    return found


def headers(block: list) -> dict[str, list[str]]:
    return {args[0]: args[1:] for directive, args, _ in block if directive == "add_header"}


@pytest.mark.parametrize("site", ["http.conf", "https.conf"])
def test_every_answer_carries_the_security_headers(site):
    conf = nginx_conf(NGINX / site)
    servers = blocks(conf, "server")
    assert servers
    for _, server in servers:
        # The server's own headers, inherited by a location only while it has none of its own.
        assert SECURITY_HEADERS <= set(headers(server))
        for args, location in blocks(server, "location"):
            if headers(location):
                assert SECURITY_HEADERS <= set(headers(location)), args
    sent = headers(nginx_conf(NGINX / "govshare" / "security-headers.conf"))
    assert all(values[-1] == "always" for values in sent.values())  # on errors too
    assert sent["X-Frame-Options"][0] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in sent["Content-Security-Policy"][0]
    assert sent["X-Content-Type-Options"][0] == "nosniff"
    assert sent["Strict-Transport-Security"][0] == "$govshare_hsts"


def test_nginx_re_resolves_ckan_and_sets_the_forwarded_headers_itself():
    http = nginx_conf(NGINX / "templates" / "govshare.conf.template")
    resolver = next(args for directive, args, _ in http if directive == "resolver")
    assert resolver[0] == "127.0.0.11" and "valid=10s" in resolver
    (name, ), upstream = blocks(http, "upstream")[0]
    assert name == "ckan"
    assert ("server", ["ckan:5000", "resolve"], None) in upstream
    assert any(directive == "zone" for directive, _, _ in upstream)
    maps = {args[1]: dict((key, value[0]) for key, value, _ in block) for args, block in blocks(http, "map")}
    # The scheme: the client's own X-Forwarded-Proto never counts, the trusted proxy's does.
    assert maps["$govshare_proto"] == {"default": "$scheme", "1:https": "https", "1:http": "http"}
    assert maps["$govshare_hsts"]["https"].startswith("max-age=") and maps["$govshare_hsts"]["default"] == ""
    site = nginx_conf(NGINX / "govshare" / "site.conf")
    sets = {args[0]: args[1] for directive, args, _ in site if directive == "proxy_set_header"}
    assert sets["X-Forwarded-Proto"] == "$govshare_proto"
    assert sets["X-Forwarded-For"] == sets["X-Real-IP"] == "$remote_addr"
    passes = {args[0] for _, location in blocks(site, "location")
              for directive, args, _ in location if directive == "proxy_pass"}
    assert passes == {"http://ckan"}


def test_tls_redirects_http_and_compose_provides_what_the_nginx_files_name():
    servers = [block for _, block in blocks(nginx_conf(NGINX / "https.conf"), "server")]
    listens = [[args for directive, args, _ in server if directive == "listen"][0] for server in servers]
    assert listens == [["80", "default_server"], ["443", "ssl", "default_server"]]
    to_https = dict((args[0], loc) for args, loc in blocks(servers[0], "location"))["/"]
    assert ("return", ["301", "https://$host$request_uri"], None) in to_https
    tls = yaml.safe_load((DOCKER / "docker-compose.tls.yml").read_text())["services"]["nginx"]
    assert "${GOVSHARE_TLS_DIR:-./certs}:/etc/nginx/certs:ro" in tls["volumes"]
    files = {args[0] for directive, args, _ in servers[1] if directive.startswith("ssl_certificate")}
    assert files == {"/etc/nginx/certs/fullchain.pem", "/etc/nginx/certs/privkey.pem"}
    assert "./nginx/https.conf:/etc/nginx/conf.d/default.conf:ro" in tls["volumes"]
    nginx = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())["services"]["nginx"]
    for volume in nginx["volumes"]:
        assert (DOCKER / volume.split(":")[0]).exists(), volume
    template = (NGINX / "templates" / "govshare.conf.template").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", template)) <= set(nginx["environment"])
    version = re.search(r"nginx:(\d+)\.(\d+)", nginx["image"])
    assert (int(version[1]), int(version[2])) >= (1, 28)  # `resolve` in an upstream: 1.27.3


def nginx_version() -> tuple[int, ...] | None:
    """The version of the nginx on this machine, or None."""
    if not shutil.which("nginx"):
        return None
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    return tuple(int(part) for part in re.search(r"nginx/([\d.]+)", out)[1].split("."))


def run_nginx(tmp_path: Path, trusted_proxy: str) -> tuple[int, http.server.ThreadingHTTPServer,
                                                            subprocess.Popen[str]]:
    """nginx/ (the plain-HTTP site) as the nginx container runs it, on a free port, in front of
    a ckan stand-in that answers every request with the headers it received. Only what needs
    Docker is changed: `ckan` is the stand-in's address (no Docker DNS to re-resolve it), the
    paths are under TMP_PATH."""
    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(dict(self.headers)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    ckan = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=ckan.serve_forever, daemon=True).start()
    port = free_port()
    root = tmp_path / "nginx"
    (root / "govshare").mkdir(parents=True)
    (root / "cache").mkdir()
    local = {"/etc/nginx/govshare/": f"{root}/govshare/", "listen 80 default_server": f"listen 127.0.0.1:{port}"}
    for name in ("govshare/site.conf", "govshare/security-headers.conf", "http.conf"):
        text = (NGINX / name).read_text()
        for old, new in local.items():
            text = text.replace(old, new)
        (root / name).write_text(text)
    text = (NGINX / "templates" / "govshare.conf.template").read_text()
    for old, new in {"${NGINX_TRUSTED_PROXY}": trusted_proxy, "${NGINX_CLIENT_MAX_BODY_SIZE}": "110m",
                     "${NGINX_PROXY_TIMEOUT}": "130s", "/var/cache/nginx/ckan": str(root / "cache"),
                     "resolver 127.0.0.11": "resolver 127.0.0.1",
                     "server ckan:5000 resolve;": f"server 127.0.0.1:{ckan.server_address[1]};"}.items():
        assert old in text
        text = text.replace(old, new)
    (root / "govshare.conf").write_text(text)
    (root / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {root}/nginx.pid; error_log {root}/error.log; daemon off;\nevents {{}}\n"
        f"http {{ access_log off; include {root}/govshare.conf; include {root}/http.conf; }}\n")
    proc = subprocess.Popen(["nginx", "-p", str(root), "-c", str(root / "nginx.conf")],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return port, ckan, proc


@pytest.mark.skipif(nginx_version() is None, reason="no nginx on this machine")
@pytest.mark.parametrize("trusted", [False, True])
def test_nginx_answers_with_the_headers_and_forwards_what_it_saw(tmp_path, trusted):
    # The stand-in client connects from 127.0.0.1: a trusted proxy there, or no one.
    port, ckan, proc = run_nginx(tmp_path, "127.0.0.1/32" if trusted else "192.0.2.1/32")
    try:
        for path in ("/api/3/action/package_search", "/dataset/", "/webassets/base/main.css"):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
                "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
            with urllib.request.urlopen(request, timeout=10) as resp:
                seen, sent = json.load(resp), resp.headers
            assert sent["X-Frame-Options"] == "SAMEORIGIN", path
            assert sent["Content-Security-Policy"] == "frame-ancestors 'self'", path
            assert sent["X-Content-Type-Options"] == "nosniff", path
            assert sent["Referrer-Policy"] == "strict-origin-when-cross-origin", path
            if trusted:  # the load balancer in front terminated TLS for this client
                assert seen["X-Forwarded-Proto"] == "https" and seen["X-Forwarded-For"] == "203.0.113.9"
                assert sent["Strict-Transport-Security"] == "max-age=31536000"
            else:  # a client's own claims are replaced by what nginx saw
                assert seen["X-Forwarded-Proto"] == "http" and seen["X-Forwarded-For"] == "127.0.0.1"
                assert "Strict-Transport-Security" not in sent
        assert sent["X-Cache-Status"]  # the static location, with its own add_header
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        ckan.shutdown()


# ------------------------------------------------------- healthchecks, scheduler

def serve_health(status: int, body: dict) -> http.server.ThreadingHTTPServer:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status if self.path == "/health" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("status, body, healthy, says", [
    (200, {"status": "ok", "services": {"postgresql": {"ok": True}, "solr": {"ok": True},
                                        "redis": {"ok": True}}}, True, ""),
    (503, {"status": "unavailable", "services": {"postgresql": {"ok": True}, "solr": {"ok": False},
                                                 "redis": {"ok": False}}}, False, "503, down: redis, solr"),
])
def test_the_ckan_healthcheck_asks_health(status, body, healthy, says):
    compose = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    assert compose["services"]["ckan"]["healthcheck"]["test"] == [
        "CMD", "python", "/srv/app/tools/healthcheck.py", "web"]
    server = serve_health(status, body)
    try:
        done = subprocess.run([sys.executable, str(TOOLS / "healthcheck.py"), "web"],
                              env={**os.environ, "GOVSHARE_PORT": str(server.server_address[1])},
                              capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
    assert (done.returncode == 0) is healthy, done.stderr
    assert says in done.stderr and (healthy or "/health" in done.stderr)


def test_one_scheduler_holds_the_lock_and_a_standby_takes_over():
    url, name = toolkit.config["ckan.redis.url"], f"govshare:test-scheduler:{uuid.uuid4()}"
    first, second = (scheduler.scheduler_lock(url, name, ttl=2) for _ in range(2))
    assert scheduler.hold(first) and not scheduler.hold(second)
    assert scheduler.hold(first) and not scheduler.hold(second)  # renewed, still the first's
    first.release()  # a scheduler stopping
    assert scheduler.hold(second) and not scheduler.hold(first)
    time.sleep(2.5)  # the second stops renewing (hung, killed): its lock expires
    assert scheduler.hold(first)
    assert not scheduler.hold(second)  # and it knows it lost the lock


def test_two_scheduler_processes_queue_each_job_once(tmp_path):
    from redis import Redis

    url = toolkit.config["ckan.redis.url"]
    Redis.from_url(url).delete(scheduler.LOCK)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ckan").write_text(f'#!/bin/sh\necho "$*" >>{tmp_path / "calls"}\n')
    (bin_dir / "ckan").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{PATH}", "CKAN_REDIS_URL": url,
           "GOVSHARE_ESCALATE_AT": "00:00", "GOVSHARE_SYNC_OPEN_INTERVAL": "0"}
    logs = [tmp_path / f"scheduler{i}.log" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, str(TOOLS / "scheduler.py")], env=env,
                              stderr=log.open("w")) for log in logs]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                all("lock" in log.read_text() for log in logs) and (tmp_path / "calls").exists()):
            time.sleep(0.2)
        time.sleep(1)
        assert (tmp_path / "calls").read_text().splitlines() == [
            "govshare escalate --enqueue", "govshare audit-sweep", "harvester run"]
        roles = ["scheduler: holds the lock" in log.read_text() for log in logs]
        assert sorted(roles) == [False, True]
        assert "standing by" in logs[roles.index(False)].read_text()
        holder = procs[roles.index(True)]
        holder.send_signal(signal.SIGTERM)  # `docker compose stop`: the lock is released
        holder.wait(timeout=10)
        assert not Redis.from_url(url).exists(scheduler.LOCK)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        Redis.from_url(url).delete(scheduler.LOCK)
