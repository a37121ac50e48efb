"""Write the runtime ini and run COMMAND in the completed environment:
`python runtime_ini.py PATH [COMMAND...]` (entrypoint.sh, at every container start).

First the environment is completed and checked (environment.py: `*_FILE` secrets, the
database URLs, placeholder and short secrets refused). The ini `use`s $GOVSHARE_BASE_INI (config/production.ini) and adds the CKAN options of the
environment, the ckanext-envvars convention written into the ini, so that everything that
reads the ini (the ckan command, gunicorn, `load_config` in entrypoint.sh) sees them:

    CKAN__AUTH__CREATE_USER_VIA_WEB=false    ckan.auth.create_user_via_web = false
    CKAN___SCHEMING__DATASET_FALLBACK=true   scheming.dataset_fallback = true
    CKANEXT__DCAT__BASE_URI=https://x        ckanext.dcat.base_uri = https://x
    CKAN___SESSION_COOKIE_SECURE=true        SESSION_COOKIE_SECURE = true

Names are lower-cased and `__` becomes `.`; an option that CKAN declares in upper case (Flask's
SESSION_COOKIE_SECURE, ...) keeps its case. An empty variable counts as unset. The govshare
options that docker/.env sets have short names too (ALIASES); a CKAN___* variable wins over
them. CKAN itself reads CKAN_SQLALCHEMY_URL, CKAN_DATASTORE_WRITE_URL, CKAN_SOLR_URL,
CKAN_REDIS_URL, CKAN_SITE_URL, CKAN_STORAGE_PATH, CKAN_SMTP_*, ... (single underscore,
ckan/config/environment.py); the secret ones among them and SECRET_KEY are written into the
ini as well (SECRET_OPTIONS; the file is readable by its owner only), so that a command
started later without this environment (`docker compose exec ckan ckan ...`) has them even
when they came from files.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping

from messages import die, log
from environment import completed

ALIASES = {
    "GOVSHARE_SITE_ROLE": "govshare.site_role",
    "GOVSHARE_OPEN_SITE_URL": "govshare.open_site.url",
    "GOVSHARE_OPEN_SITE_API_TOKEN": "govshare.open_site.api_token",
}
SECURE_COOKIES = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")
SECRET_OPTIONS = {
    "CKAN_SECRET_KEY": "SECRET_KEY",
    "CKAN_SQLALCHEMY_URL": "sqlalchemy.url",
    "CKAN_DATASTORE_WRITE_URL": "ckan.datastore.write_url",
    "CKAN_DATASTORE_READ_URL": "ckan.datastore.read_url",
    "CKAN_REDIS_URL": "ckan.redis.url",
    "CKAN_SOLR_PASSWORD": "solr_password",
    "CKAN_SMTP_PASSWORD": "smtp.password",
}


def declared_upper_keys() -> dict[str, str]:
    """CKAN's upper-case option names (Flask's), by lower-case name."""
    import yaml  # PyYAML comes with ckan

    spec = importlib.util.find_spec("ckan")  # no import: keep this fast
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = os.path.join(spec.submodule_search_locations[0], "config", "config_declaration.yaml")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    keys = {}
    for group in data.get("groups", []):
        for option in group.get("options", []):
            key = str(option.get("key", ""))
            if key != key.lower():
                keys[key.lower()] = key
    return keys


def env_to_option(name: str, upper: Mapping[str, str]) -> str | None:
    if name.startswith("CKAN___"):
        key = name[len("CKAN___"):]
    elif name.startswith("CKAN__") or name.startswith("CKANEXT__"):
        key = name
    else:
        return None
    key = key.lower().replace("__", ".")
    if not key or key.startswith(".") or key.endswith("."):
        return None
    return upper.get(key, key)


def options(env: Mapping[str, str], upper: Mapping[str, str]) -> dict[str, str]:
    """The ini options that ENV gives, in the order they are written."""
    found: dict[str, str] = {}
    if env["CKAN_SITE_URL"].lower().startswith("https://"):
        # Cookies only over HTTPS when the portal is served over HTTPS.
        found.update(dict.fromkeys(SECURE_COOKIES, "true"))
    for name, key in {**SECRET_OPTIONS, **ALIASES}.items():
        if env.get(name):
            found[key] = env[name]
    for name in sorted(env):
        key = env_to_option(name, upper)
        if key and env[name] != "":
            found[key] = env[name]
    return found


def ini_value(value: str) -> str:
    # `%` is the ini interpolation character; continuation lines need indenting.
    return value.replace("%", "%%").replace("\n", "\n    ")


def write(path: str, env: Mapping[str, str]) -> None:
    """The runtime ini at PATH from ENV, an environment completed by environment.py."""
    bad = sorted(k for k, v in env.items() if k.startswith("CKAN_") and "%" in v)
    if bad:
        die("these variables contain '%', which CKAN's ini loader cannot read "
            f"(every CKAN_* variable is an ini default): {', '.join(bad)}")
    if not env.get("CKAN_SITE_URL"):
        die("CKAN_SITE_URL is not set")
    base = env.get("GOVSHARE_BASE_INI", "/srv/app/config/production.ini")
    found = options(env, declared_upper_keys())
    lines = ["# Written at container start by tools/runtime_ini.py; do not edit.",
             "[app:main]", f"use = config:{base}"]
    lines += [f"{key} = {ini_value(value)}" for key, value in found.items()]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    # Owner-only: the file holds the secrets.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with open(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    names = [k for k in found if k not in SECURE_COOKIES and k not in SECRET_OPTIONS.values()]
    log(f"wrote {path} (use {base}" + (f"; from the environment: {', '.join(names)})" if names else ")"))


def main(argv: list[str]) -> None:
    if not argv:
        die(f"usage: {sys.argv[0]} PATH [COMMAND...]")
    env = completed(os.environ)
    write(argv[0], env)
    if argv[1:]:
        # GOVSHARE_ENVIRONMENT=ready tells entrypoint.sh that this step is done.
        os.execvpe(argv[1], argv[1:], {**env, "GOVSHARE_ENVIRONMENT": "ready"})


if __name__ == "__main__":
    main(sys.argv[1:])
