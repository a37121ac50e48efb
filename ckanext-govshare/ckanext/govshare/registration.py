"""Self-registration of citizens and companies: who the applicant is (a person, or a
company with its name and 统一社会信用代码), and confirmation of the email address.

Only the register page (``views.registration.Register``, which marks its action context
with SELF_REGISTRATION) goes through here: users created by sysadmins, the API or scripts
are created as before, active. The confirmation email goes through the outbox, so that a
mail server that is down (or absent, on the local stack) delays it and fails nothing.
"""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from ckanext.govshare import outbox

PERSON = "person"
COMPANY = "company"
# The form fields this module adds to the register form, in plugin_extras["govshare"].
FIELDS = ("applicant_type", "organization_name", "credit_code")
CONFIRM_MAX_AGE = 7 * 24 * 3600  # seconds a confirmation link stays valid
_SALT = "govshare-confirm-email"
# Action context keys: the register page sets the first; user_create answers in the second
# with the address the confirmation was written for.
SELF_REGISTRATION = "govshare_self_registration"
REGISTERED = "govshare_registered_email"


def labels() -> dict[str, str]:
    return {"applicant_type": tk._("Applicant type"),
            "organization_name": tk._("Organization name"),
            "credit_code": tk._("Unified social credit code")}


def applicant_types() -> list[tuple[str, str]]:
    return [(PERSON, tk._("Person")), (COMPANY, tk._("Company or other organization"))]


def validate(data_dict: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """This module's fields of the form data: (plugin extras, errors by field)."""
    values = {f: str(data_dict.get(f) or "").strip() for f in FIELDS}
    errors: dict[str, list[str]] = {}
    names = labels()
    kind = values["applicant_type"]
    if kind not in (PERSON, COMPANY):
        errors["applicant_type"] = [tk._("{label}: choose person or company").format(
            label=names["applicant_type"])]
        return {}, errors
    if kind == PERSON:
        return {"applicant_type": PERSON}, errors
    if not values["organization_name"]:
        errors["organization_name"] = [tk._("{label} is required for a company").format(
            label=names["organization_name"])]
    code = values["credit_code"]
    try:
        code = uscc.validate(code)
    except StdnumError:
        errors["credit_code"] = [tk._(
            "{label} must be an 18-character unified social credit code "
            "with a correct check digit").format(label=names["credit_code"])]
    return {"applicant_type": COMPANY, "organization_name": values["organization_name"],
            "credit_code": code}, errors


def error_summary(errors: dict[str, list[str]]) -> dict[str, str]:
    names = labels()
    return {names[field]: messages[0] for field, messages in errors.items()}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(tk.config.get("SECRET_KEY"), salt=_SALT)


def make_token(user: model.User) -> str:
    # The email is signed too: a link stays valid only for the address it was sent to.
    return _serializer().dumps({"id": user.id, "email": user.email})


def confirm(token: str) -> Optional[str]:
    """Activate the pending user the token names (not committed): None when done, else the
    reason it is not."""
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        return tk._("This confirmation link has expired: register again.")
    except BadSignature:
        return tk._("This confirmation link is not valid.")
    user = model.User.get(payload.get("id", ""))
    if user is None or user.email != payload.get("email") or user.is_deleted():
        return tk._("This confirmation link is not valid.")
    if user.is_pending():
        user.activate()
    return None


def complete(user: model.User, extras: dict[str, Any]) -> None:
    """The new user (flushed, not committed) becomes pending with the applicant's details,
    and the confirmation email is written to the outbox in the same transaction."""
    user.set_pending()
    user.plugin_extras = {**(user.plugin_extras or {}), "govshare": extras}
    link = tk.url_for("govshare.registration_confirm", token=make_token(user), _external=True)
    body = tk._(
        "Hello {name},\n\nyou registered on {site}. Open this link to confirm your email "
        "address and activate your account (valid for 7 days):\n\n{link}\n\n"
        "If you did not register, ignore this email.").format(
            name=user.fullname or user.name, site=tk.config.get("ckan.site_title"), link=link)
    outbox.write(user.email, tk._("Confirm your registration"), body, user.fullname or user.name)


__all__ = ["SELF_REGISTRATION", "REGISTERED", "validate", "error_summary", "complete",
           "confirm", "applicant_types", "labels", "make_token", "PERSON", "COMPANY"]
