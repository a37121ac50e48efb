"""The registration email's confirmation link."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Response, g

from ckanext.govshare import registration
from ckanext.govshare.views.base import govshare


@govshare.route("/govshare/confirm/<token>")
def registration_confirm(token: str) -> Any:
    """The link of the registration email: activates the pending account, then to login."""
    problem = registration.confirm(token)
    if problem:
        tk.h.flash_error(problem)
    else:
        tk.h.flash_success(tk._("Your email address is confirmed: you can log in now."))
    return tk.redirect_to("user.login")


@govshare.after_app_request
def _registered_to_login(response: Response) -> Response:
    """After a self-registration CKAN sends the new user to their dashboard; the account is
    pending (not logged in), so to the login page instead, with the check-your-email message."""
    if getattr(g, "govshare_registered_pending", False) and response.status_code in (302, 303):
        response.location = tk.url_for("user.login")
    return response
