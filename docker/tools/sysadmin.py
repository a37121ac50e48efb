"""Create the first sysadmin: `python sysadmin.py` (entrypoint.sh, during initialisation).

GOVSHARE_ADMIN_NAME (admin), GOVSHARE_ADMIN_EMAIL, GOVSHARE_ADMIN_PASSWORD (or its _FILE,
read by environment.py), GOVSHARE_ADMIN_FULLNAME. The password is handed to CKAN's
user_create inside this process, never on a command line (`ckan sysadmin add ...
password=...` would show it in `ps` to every user of the host). A user that exists keeps its
password and is made a sysadmin.
"""
from __future__ import annotations

import os

from messages import die, log


def main() -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    import ckan.model as model
    from ckan.plugins import toolkit

    name = os.environ.get("GOVSHARE_ADMIN_NAME") or "admin"
    password = os.environ.get("GOVSHARE_ADMIN_PASSWORD", "")
    if not password:
        log("GOVSHARE_ADMIN_PASSWORD is empty: no sysadmin created")
        return
    email = os.environ.get("GOVSHARE_ADMIN_EMAIL", "")
    if not email:
        die("GOVSHARE_ADMIN_EMAIL is required with GOVSHARE_ADMIN_PASSWORD")
    app = make_app(load_config())
    # user_create dictizes as the current user: it needs a request context.
    with app._wsgi_app.test_request_context():
        user = model.User.by_name(name)
        if user is None:
            site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
            try:
                toolkit.get_action("user_create")(
                    {"ignore_auth": True, "user": site_user["name"]},
                    {"name": name, "email": email, "password": password,
                     "fullname": os.environ.get("GOVSHARE_ADMIN_FULLNAME") or "平台管理员"})
            except toolkit.ValidationError as e:
                die(f"cannot create the sysadmin {name!r}: {e.error_summary}")
            user = model.User.by_name(name)
            log(f"created the user {name!r}")
        if not user.sysadmin:
            user.sysadmin = True
            model.repo.commit_and_remove()
        log(f"{name!r} is a sysadmin")


if __name__ == "__main__":
    main()
