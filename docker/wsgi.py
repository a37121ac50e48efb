"""WSGI entry point of the govshare CKAN image: `gunicorn wsgi:application`.

The CKAN 2.12 wheel ships no wsgi module; this is what `ckan run` does, without the
development server. The configuration is $CKAN_INI (written by entrypoint.sh); loading it
also applies its [logger_*] sections.
"""
import os

from ckan.cli import load_config
from ckan.config.middleware import make_app

application = make_app(load_config(os.environ.get("CKAN_INI", "/srv/app/run/ckan.ini")))
