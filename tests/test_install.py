"""A plain (non-editable) `pip install .` gives a working extension, schemas and translations included."""
from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh virtualenv holding only the installed copy; a .pth file lends it the
# dependencies of the project's virtualenv as a plain path, so the editable
# install's own .pth hook there is not processed.
PROBE = """
import typing  # a normal venv has it loaded by site; importing ckan.cli first would fail
import sys, ckanext.govshare as g
from ckan.cli import load_config
from ckan.config.middleware import make_app
from ckanext.scheming.helpers import scheming_get_dataset_schema
from ckanext.govshare import schema as catalog
app = make_app(load_config(sys.argv[1]))
with app._wsgi_app.test_request_context():
    print(g.__file__)
    print(catalog.field_label(catalog.dataset_field("share_type"), "zh_Hans_CN"))
    from ckan.lib.i18n import set_lang
    set_lang("zh_Hans_CN")
    from ckan.plugins.toolkit import _
    print(_("Must be a number of 0 or more"))
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(work / "dist"), str(ROOT)], check=True)
    wheel = next((work / "dist").glob("ckanext_govshare-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True)
    site = work / "venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(site), str(wheel)], check=True)
    return work / "venv"


@pytest.fixture(scope="module")
def installed(venv) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def test_wheel_carries_schemas_templates_and_translations(installed):
    package = installed / "ckanext" / "govshare"
    assert (package / "schemas" / "dataset.yaml").is_file()
    assert (package / "schemas" / "organization.yaml").is_file()
    assert (package / "i18n" / "zh_Hans_CN" / "LC_MESSAGES" / "ckanext-govshare.mo").is_file()
    assert (package / "demo" / "city.yaml").is_file()
    assert (package / "config_declaration.yaml").is_file()
    assert (package / "templates" / "govshare" / "request_form.html").is_file()
    assert (package / "public" / "govshare.css").is_file()
    assert (package / "migration" / "govshare" / "versions" / "0001_grants.py").is_file()


def test_installed_copy_runs_in_ckan(venv, installed):
    out = subprocess.run([str(venv / "bin" / "python"), "-c", PROBE, str(ROOT / "config" / "test.ini")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    module_file, label, message = out.stdout.strip().splitlines()[-3:]
    assert module_file.startswith(str(installed))
    assert label == "共享类型"
    assert message == "必须是大于或等于 0 的数字"
