"""Registration: CKAN's register page telling the action that a visitor registers, the
page saying where the confirmation went, and the email's confirmation link."""
from __future__ import annotations

from typing import Any, Union

import ckan.plugins.toolkit as tk
from ckan.types import Context
from ckan.views.user import RegisterView
from flask import Response

from ckanext.govshare import outbox, registration
from ckanext.govshare.views.base import govshare


class Register(RegisterView):
    """CKAN's register page (plugin blueprints come first, so this one answers
    /user/register). Its action context says that a visitor (not a logged-in user)
    registers; once the pending
    account is saved, a page says where the confirmation link went, instead of CKAN's
    redirect to a dashboard that a pending account cannot open."""

    context: Context

    def _prepare(self) -> Context:
        self.context = super()._prepare()
        if tk.current_user.is_anonymous:  # a sysadmin creating a user here is not registering
            self.context[registration.SELF_REGISTRATION] = True  # type: ignore[literal-required]
        return self.context

    def post(self) -> Union[Response, str]:
        response = super().post()
        email = self.context.get(registration.REGISTERED)
        if not email:
            return response
        return tk.render("govshare/registered.html", {
            "email": email, "where": outbox.where(email), "file_outbox": bool(outbox.file_dir())})


govshare.add_url_rule("/user/register", view_func=Register.as_view("register"))


@govshare.route("/govshare/confirm/<token>")
def registration_confirm(token: str) -> Any:
    """The link of the registration email: activates the pending account, then to login."""
    try:
        tk.get_action("govshare_registration_confirm")({}, {"token": token})
    except tk.ValidationError as error:
        tk.h.flash_error(error.error_dict["token"][0])
    else:
        tk.h.flash_success(tk._("Your email address is confirmed: you can log in now."))
    return tk.redirect_to("user.login")
