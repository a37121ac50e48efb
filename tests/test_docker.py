"""docker/ without a Docker engine: the runtime ini the ckan image writes from its environment,
and the image's files as the Dockerfile, its .dockerignore, entrypoint.sh and the compose file
name them."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"

# CKAN's ini loader as the image runs it (`ckan`, gunicorn's wsgi.py): the options of $CKAN_INI.
LOAD = """
import json, sys
from ckan.cli import load_config
config = load_config(sys.argv[1])
print(json.dumps({k: str(v) for k, v in config.items()}))
"""


def runtime_ini(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """tools/runtime_ini.py as entrypoint.sh runs it, in an environment of ENV only."""
    env = {"GOVSHARE_BASE_INI": str(ROOT / "config" / "production.ini"), **env}
    return subprocess.run([sys.executable, str(DOCKER / "tools" / "runtime_ini.py"),
                           str(tmp_path / "run" / "ckan.ini")],
                          env=env, capture_output=True, text=True)


def loaded(tmp_path: Path, **env: str) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-c", LOAD, str(tmp_path / "run" / "ckan.ini")],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_environment_options_reach_ckan_through_the_runtime_ini(tmp_path):
    env = {"CKAN_SECRET_KEY": "s3cret-key", "CKAN_SITE_URL": "https://data.example.gov.cn",
           "CKAN__AUTH__CREATE_USER_VIA_WEB": "false",
           "CKANEXT__DCAT__BASE_URI": "https://data.example.gov.cn",
           "CKAN___SESSION_COOKIE_SAMESITE": "Strict",
           "GOVSHARE_SITE_ROLE": "open", "CKAN___GOVSHARE__SITE_ROLE": "sharing",
           "GOVSHARE_OPEN_SITE_URL": "https://open.example.gov.cn",
           "CKAN__DATASETS_PER_PAGE": ""}
    done = runtime_ini(tmp_path, **env)
    assert done.returncode == 0, done.stderr
    config = loaded(tmp_path, **env)
    assert config["SECRET_KEY"] == "s3cret-key"  # production.ini's interpolation
    assert config["ckan.auth.create_user_via_web"] == "false"
    assert config["ckanext.dcat.base_uri"] == "https://data.example.gov.cn"
    assert config["SESSION_COOKIE_SAMESITE"] == "Strict"  # declared upper case: kept
    assert config["govshare.site_role"] == "sharing"  # CKAN___ wins over the short name
    assert config["govshare.open_site.url"] == "https://open.example.gov.cn"
    assert config["SESSION_COOKIE_SECURE"] == config["REMEMBER_COOKIE_SECURE"] == "true"
    assert "ckan.datasets_per_page" not in config  # empty: unset
    assert "govshare" in config["ckan.plugins"].split()  # common.ini under production.ini


def test_plain_http_site_keeps_cookies_usable_and_values_are_written_as_given(tmp_path):
    env = {"CKAN_SECRET_KEY": "k", "CKAN_SITE_URL": "http://127.0.0.1",
           "CKAN__VIEWS__DEFAULT_VIEWS": "image_view\ndatatables_view"}
    assert runtime_ini(tmp_path, **env).returncode == 0
    config = loaded(tmp_path, **env)
    assert "SESSION_COOKIE_SECURE" not in config
    assert config["ckan.views.default_views"].split() == ["image_view", "datatables_view"]


def test_a_percent_sign_or_a_missing_secret_stops_the_container_with_the_reason(tmp_path):
    done = runtime_ini(tmp_path, CKAN_SECRET_KEY="k", CKAN_SITE_URL="http://x",
                       CKAN_SMTP_PASSWORD="50%off")
    assert done.returncode == 1 and "CKAN_SMTP_PASSWORD" in done.stderr
    assert not (tmp_path / "run" / "ckan.ini").exists()
    done = runtime_ini(tmp_path, CKAN_SITE_URL="http://x")
    assert done.returncode == 1 and "CKAN_SECRET_KEY is not set" in done.stderr


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
    checks = re.findall(r'"/srv/app/tools/healthcheck.py", "(\w+)"', compose)
    assert sorted(checks) == sorted(usage.stderr.split()[-1].split("|"))
