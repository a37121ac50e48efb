"""Auth functions: CKAN's own checks narrowed to the access rules (see access.py)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import AuthFunction, AuthResult, Context, DataDict

from ckanext.govshare import (access, cases, demands, error_reports, inputs, reports, requests,
                              showcases)
from ckanext.govshare.model import Case, Demand, ErrorReport, Grant, Request, Showcase

__all__ = [
    "package_show", "resource_view_show", "datastore_search", "datastore_info",
    "datastore_search_sql", "package_collaborator_list", "govshare_grant_create", "govshare_grant_revoke",
    "govshare_grant_list",
    "govshare_request_create", "govshare_request_approve", "govshare_request_refuse",
    "govshare_request_withdraw", "govshare_request_show", "govshare_request_list",
    "govshare_application_create", "govshare_application_approve",
    "govshare_application_refuse", "govshare_application_precheck",
    "govshare_case_create", "govshare_case_resolve", "govshare_case_list",
    "govshare_usage_list", "govshare_remind_and_escalate", "govshare_notification_list",
    "govshare_registration_confirm", "govshare_calendar_show", "govshare_calendar_update",
    "govshare_catalog_submit", "govshare_catalog_confirm", "govshare_catalog_return",
    "govshare_duty_change_create", "govshare_catalog_import",
    "govshare_audit_list",
    "govshare_error_report_create", "govshare_error_report_resolve",
    "govshare_error_report_list", "govshare_error_report_show",
    "govshare_info_item_sources", "govshare_source_designate", "govshare_info_item_synonym_create",
    "govshare_info_item_synonym_delete", "govshare_info_item_synonym_list",
    "govshare_info_item_duplicates",
    "govshare_data_update_declare", "govshare_timeliness_list", "govshare_timeliness_check",
    "govshare_department_figures",
    "govshare_scorecard", "govshare_scorecard_publish", "govshare_scorecard_annotate",
    "govshare_misuse_record",
    "govshare_announcement_create", "govshare_announcement_update",
    "govshare_announcement_delete", "govshare_announcement_list",
    "govshare_annual_report_show", "govshare_annual_report_update",
    "govshare_annual_report_submit", "govshare_annual_report_remind",
    "govshare_case_show",
    "govshare_demand_create", "govshare_demand_route", "govshare_demand_reply",
    "govshare_demand_list", "govshare_demand_show",
    "govshare_showcase_create", "govshare_showcase_approve", "govshare_showcase_reject",
    "govshare_showcase_list", "govshare_showcase_show",
    "govshare_synonym_create", "govshare_synonym_delete", "govshare_synonym_list",
    "govshare_search_suggest",
]


def _refused(message: str) -> AuthResult:
    return {"success": False, "msg": message}


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """An active entry's metadata is shown to exactly the users its labels admit; to
    everyone else it does not exist (a refusal would tell that it does)."""
    package = context.get("package") or model.Package.get(data_dict.get("id", ""))
    if package is None or package.state != "active":
        return next_auth(context, data_dict)
    if access.can_see_entry(context.get("auth_user_obj") or context.get("user"), package):
        return {"success": True}
    raise tk.ObjectNotFound()


def _resource_data(context: Context, resource_id: str) -> AuthResult:
    resource = model.Resource.get(resource_id or "")
    if resource is None or resource.package is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    user = access.context_user(context)
    if access.acts_unrestricted(context) or access.can_use_data(user, resource.package, resource.id):
        return {"success": True}
    if not access.can_see_entry(user, resource.package):
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return _refused(access.how_to_get_access(resource.package, user))


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def resource_view_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """Views and previews show the data itself."""
    result = next_auth(context, data_dict)
    if not result["success"]:
        return result
    view = model.ResourceView.get(data_dict.get("id", ""))
    return _resource_data(context, view.resource_id) if view else result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """DataStore rows (and a table's description) are the data itself."""
    result = next_auth(context, data_dict)
    if not result["success"]:
        return result
    return _resource_data(context, data_dict.get("resource_id") or data_dict.get("id"))


datastore_info = datastore_search


@tk.chained_auth_function
def datastore_search_sql(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """SQL can join any table: only those who may use every dataset may run it."""
    if access.acts_unrestricted(context):
        return next_auth(context, data_dict)
    return _refused(tk._("SQL queries on the DataStore are reserved to system administrators."))


@tk.chained_auth_function
def package_collaborator_list(next_auth: AuthFunction, context: Context,
                              data_dict: DataDict) -> AuthResult:
    """CKAN's own check asserts a logged-in user: anonymous callers got a server error."""
    if access.context_user(context) is None:
        return _refused(tk._("Please log in."))
    return next_auth(context, data_dict)


# ------------------------------------------------------------------ grants

def may_manage_grants(user: Any, package: model.Package) -> bool:
    """Provider-department admins and the data authority grant and revoke."""
    user_obj = model.User.get(user) if isinstance(user, str) else user
    if user_obj is None:
        return False
    return (access.is_authority(user_obj)
            or access.is_department_admin(user_obj, package.owner_org))


def govshare_grant_create(context: Context, data_dict: DataDict) -> AuthResult:
    package = model.Package.get(inputs.text_or_empty(data_dict, "package_id"))
    if package is None:
        return {"success": True}  # the action reports the missing entry by field
    if may_manage_grants(access.context_user(context), package):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators and the data "
                         "authority may grant access to this entry."))


def govshare_grant_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    grant = model.Session.get(Grant, inputs.text_or_empty(data_dict, "id"))
    if grant is None:
        return {"success": True}
    package = model.Package.get(grant.package_id)
    if package is not None and may_manage_grants(access.context_user(context), package):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators and the data "
                         "authority may revoke this grant."))


def govshare_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user; the action lists only the grants that concern them."""
    return _logged_in(context, tk._("Log in to see grants."))


# ------------------------------------------------------------------ workflow

def _named(row_class: type, data_dict: DataDict, not_found: str) -> Any:
    """The row ``data_dict["id"]`` names, or ObjectNotFound with ``not_found``."""
    row = model.Session.get(row_class, inputs.text_or_empty(data_dict, "id"))
    if row is None:
        raise tk.ObjectNotFound(not_found)
    return row


def _request(data_dict: DataDict) -> Request:
    return _named(Request, data_dict, tk._("Request not found"))


def govshare_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    if requests.requesting_departments(access.context_user(context)):
        return {"success": True}
    return _refused(tk._("Share requests are made by members of a government department."))


def govshare_request_approve(context: Context, data_dict: DataDict) -> AuthResult:
    if requests.may_decide(access.context_user(context), _request(data_dict)):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators decide this request "
                         "(and the data authority once it is overdue)."))


govshare_request_refuse = govshare_request_approve
govshare_application_approve = govshare_request_approve
govshare_application_refuse = govshare_request_approve


def govshare_request_withdraw(context: Context, data_dict: DataDict) -> AuthResult:
    user, request = access.context_user(context), _request(data_dict)
    if user is not None and (request.requester_user_id == user.id
                             or request.requester_org_id in access.department_ids(user)):
        return {"success": True}
    return _refused(tk._("Only the requester may withdraw a request."))


def govshare_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    if requests.may_see(access.context_user(context), _request(data_dict)):
        return {"success": True}
    return _refused(tk._("This request concerns other departments."))


def _logged_in(context: Context, refusal: Optional[str] = None) -> AuthResult:
    if access.context_user(context) is None:
        return _refused(refusal or tk._("Please log in."))
    return {"success": True}


def govshare_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user; the action lists only what concerns them."""
    return _logged_in(context)


def govshare_application_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context)


def _authority(context: Context) -> AuthResult:
    if access.is_authority(access.context_user(context)):
        return {"success": True}
    return _refused(tk._("Only the data authority may do this."))


def govshare_application_precheck(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_case_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The authority; the requester of the request named (申请协调)."""
    if cases.may_open(access.context_user(context), inputs.text_or_empty(data_dict, "request_id")):
        return {"success": True}
    return _refused(tk._("Only the data authority, or the requester of a refused request, may "
                         "open a coordination case."))


def govshare_case_resolve(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_case_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user; the action lists only the cases that concern them."""
    return _logged_in(context)


def govshare_case_show(context: Context, data_dict: DataDict) -> AuthResult:
    case = _named(Case, data_dict, tk._("Case not found"))
    if cases.may_see(access.context_user(context), case):
        return {"success": True}
    return _refused(tk._("This coordination case concerns other departments."))


def govshare_usage_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Providers see how their data is used; the authority sees everything."""
    return _logged_in(context)


def govshare_remind_and_escalate(context: Context, data_dict: DataDict) -> AuthResult:
    return _refused(tk._("Only system administrators run the deadline job."))


# ------------------------------------------------------------------ calendar

def govshare_calendar_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Every logged-in user reads the working-day calendar."""
    return _logged_in(context)


def govshare_calendar_update(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority enters the official arrangement of a year."""
    return _authority(context)


def govshare_notification_list(context: Context, data_dict: DataDict) -> AuthResult:
    """One's own notifications."""
    return _logged_in(context)


@tk.auth_allow_anonymous_access
def govshare_registration_confirm(context: Context, data_dict: DataDict) -> AuthResult:
    """The emailed link is the proof: whoever holds it confirms the address."""
    return {"success": True}


def govshare_catalog_submit(context: Context, data_dict: DataDict) -> AuthResult:
    """Only an administrator of the entries' department submits them for registration."""
    user = access.context_user(context)
    ids = data_dict.get("ids") if isinstance(data_dict.get("ids"), list) else []
    orgs = {p.owner_org for p in (model.Package.get(i) if isinstance(i, str) else None
                                  for i in ids) if p is not None}
    if user is not None and orgs and all(access.is_department_admin(user, org)
                                         for org in orgs):
        return {"success": True}
    return _refused(tk._("Only an administrator of the entries' department may submit "
                         "them for registration."))


def govshare_catalog_import(context: Context, data_dict: DataDict) -> AuthResult:
    """A department's administrators import its catalog; the data authority any department's."""
    user = access.context_user(context)
    org = model.Group.get(data_dict.get("owner_org")) \
        if isinstance(data_dict.get("owner_org"), str) else None
    if user is not None and (access.is_authority(user)
                             or (org is not None and access.is_department_admin(user, org.id))):
        return {"success": True}
    return _refused(tk._("Only an administrator of the department (or the data authority) "
                         "may import its catalog."))


def govshare_catalog_confirm(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_catalog_return(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_duty_change_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_audit_list(context: Context, data_dict: DataDict) -> AuthResult:
    """The security audit log is the data authority's (and sysadmins')."""
    return _authority(context)


# ------------------------------------------------------------------ error reports

def govshare_error_report_create(context: Context, data_dict: DataDict) -> AuthResult:
    """Any signed-in user; the schema reports an entry they may not see as missing."""
    return _logged_in(context, tk._("Please log in to report an error."))


def _error_report(data_dict: DataDict) -> ErrorReport:
    return _named(ErrorReport, data_dict, tk._("Error report not found"))


def govshare_error_report_resolve(context: Context, data_dict: DataDict) -> AuthResult:
    if error_reports.may_resolve(access.context_user(context), _error_report(data_dict)):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators and editors answer "
                         "this error report."))


def govshare_error_report_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user; the action lists only what concerns them."""
    return _logged_in(context)


def govshare_error_report_show(context: Context, data_dict: DataDict) -> AuthResult:
    if error_reports.may_see(access.context_user(context), _error_report(data_dict)):
        return {"success": True}
    return _refused(tk._("This error report concerns another department."))


# ------------------------------------------------------------------ one number, one source

def govshare_info_item_sources(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone logged in asks who provides an item; the action lists only the entries they
    may see."""
    return _logged_in(context)


def govshare_source_designate(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority designates source departments (数源部门)."""
    return _authority(context)


def govshare_info_item_synonym_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority maintains the synonym list."""
    return _authority(context)


def govshare_info_item_synonym_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_info_item_synonym_list(context: Context, data_dict: DataDict) -> AuthResult:
    """The synonym list is no secret: everyone logged in reads it."""
    return _logged_in(context)


def govshare_info_item_duplicates(context: Context, data_dict: DataDict) -> AuthResult:
    """Duplicate collection across departments is the data authority's view."""
    return _authority(context)


# ------------------------------------------------------------------ timeliness

def govshare_data_update_declare(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may edit the entry (its department's editors and admins) declares its data
    updated. An entry that does not exist is left to the schema to report."""
    wanted = data_dict.get("package_id")
    package = model.Package.get(wanted) if isinstance(wanted, str) and wanted else None
    if package is None:
        return {"success": True}
    try:
        tk.check_access("package_update", context, {"id": package.id})
    except tk.NotAuthorized:
        return _refused(tk._("Only the entry's department may declare its data updated."))
    return {"success": True}


def govshare_timeliness_list(context: Context, data_dict: DataDict) -> AuthResult:
    """A department's members see their own department's entries; the authority all."""
    user = access.context_user(context)
    if access.is_authority(user):
        return {"success": True}
    wanted = data_dict.get("owner_org")
    org = model.Group.get(wanted) if isinstance(wanted, str) and wanted else None
    if org is not None and org.id in access.department_ids(user):
        return {"success": True}
    return _refused(tk._("Only the department's members and the data authority may see "
                         "its update timeliness."))


def govshare_timeliness_check(context: Context, data_dict: DataDict) -> AuthResult:
    return _refused(tk._("Only system administrators run the deadline job."))


def govshare_department_figures(context: Context, data_dict: DataDict) -> AuthResult:
    """The authority (and sysadmins) see every department; a department's admins their own."""
    user = access.context_user(context)
    if access.is_authority(user):
        return {"success": True}
    wanted = data_dict.get("owner_org")
    org = model.Group.get(wanted) if isinstance(wanted, str) and wanted else None
    if org is not None and org.id in access.department_ids(user, ("admin",)):
        return {"success": True}
    return _refused(tk._("Only the data authority and a department's administrators may see "
                         "the department's figures."))


# ------------------------------------------------------------------ the evaluation (第二十八条)

def govshare_scorecard(context: Context, data_dict: DataDict) -> AuthResult:
    """The authority sees the live scorecard; a department's admins the published one, of
    their own department (the action gives them the ranking and their own row)."""
    user = access.context_user(context)
    if access.is_authority(user):
        return {"success": True}
    own = access.department_ids(user, ("admin",))
    wanted = data_dict.get("owner_org")
    org = model.Group.get(wanted) if isinstance(wanted, str) and wanted else None
    if own and (not wanted or (org is not None and org.id in own)):
        return {"success": True}
    return _refused(tk._("Only the data authority and a department's administrators may see "
                         "the department's scorecard."))


def govshare_scorecard_publish(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_scorecard_annotate(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_misuse_record(context: Context, data_dict: DataDict) -> AuthResult:
    """Findings of misuse are the data authority's."""
    return _authority(context)


def govshare_announcement_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority writes the home page's announcements."""
    return _authority(context)


def govshare_announcement_update(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


def govshare_announcement_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


@tk.auth_allow_anonymous_access
def govshare_announcement_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Announcements are public: the home page shows them to everyone."""
    return {"success": True}


# ------------------------------------------------------------------ annual report

def _report_department(data_dict: DataDict) -> Optional[str]:
    wanted = data_dict.get("owner_org")
    org = model.Group.get(wanted) if isinstance(wanted, str) and wanted else None
    return org.id if org else None


def _report_year(data_dict: DataDict) -> Optional[int]:
    year = data_dict.get("year")
    return int(year) if isinstance(year, (int, str)) and str(year).isdigit() else None


@tk.auth_allow_anonymous_access
def govshare_annual_report_show(context: Context, data_dict: DataDict) -> AuthResult:
    """The authority sees every report, a department's members their own; once the city
    summary is published, everyone (see reports.py)."""
    year = _report_year(data_dict)
    if year is not None and reports.may_see(access.context_user(context), year,
                                            _report_department(data_dict)):
        return {"success": True}
    return _refused(tk._("Only the data authority and the department's members may see this "
                         "annual report until the city report is published."))


def _report_writer(context: Context, data_dict: DataDict) -> AuthResult:
    if reports.may_write(access.context_user(context), _report_department(data_dict)):
        return {"success": True}
    return _refused(tk._("Only the department's administrators write its annual report, and "
                         "only the data authority the city summary."))


def govshare_annual_report_update(context: Context, data_dict: DataDict) -> AuthResult:
    return _report_writer(context, data_dict)


def govshare_annual_report_submit(context: Context, data_dict: DataDict) -> AuthResult:
    return _report_writer(context, data_dict)


# ------------------------------------------------------------------ data demands, showcases

def govshare_demand_create(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone signed in, citizens and companies first."""
    return _logged_in(context, tk._("Please log in to ask for data."))


def govshare_demand_route(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority sends a demand to the department that holds the data."""
    return _authority(context)


def govshare_demand_reply(context: Context, data_dict: DataDict) -> AuthResult:
    demand = _named(Demand, data_dict, tk._("Data demand not found"))
    if demands.may_reply(access.context_user(context), demand):
        return {"success": True}
    return _refused(tk._("Only the administrators and editors of the department the demand "
                         "was routed to answer it."))


@tk.auth_allow_anonymous_access
def govshare_demand_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Demands are public (the requester by display name only)."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def govshare_demand_show(context: Context, data_dict: DataDict) -> AuthResult:
    _named(Demand, data_dict, tk._("Data demand not found"))
    return {"success": True}


def govshare_showcase_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context, tk._("Please log in to submit a showcase."))


def govshare_showcase_approve(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority moderates showcases."""
    return _authority(context)


def govshare_showcase_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


@tk.auth_allow_anonymous_access
def govshare_showcase_list(context: Context, data_dict: DataDict) -> AuthResult:
    """The action lists what the caller may see: approved showcases, and their own."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def govshare_showcase_show(context: Context, data_dict: DataDict) -> AuthResult:
    """A showcase not yet approved is missing to everyone but its submitter and the
    authority."""
    showcase = _named(Showcase, data_dict, tk._("Showcase not found"))
    visible = model.Session.query(Showcase.id).filter(
        Showcase.id == showcase.id, showcases.visible_clause(access.context_user(context)))
    if visible.first() is None:
        raise tk.ObjectNotFound(tk._("Showcase not found"))
    return {"success": True}


def govshare_annual_report_remind(context: Context, data_dict: DataDict) -> AuthResult:
    return _refused(tk._("Only system administrators run the deadline job."))


# ------------------------------------------------------------------ search synonyms

def govshare_synonym_create(context: Context, data_dict: DataDict) -> AuthResult:
    """The data authority keeps the search's synonym list."""
    return _authority(context)


def govshare_synonym_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _authority(context)


@tk.auth_allow_anonymous_access
def govshare_synonym_list(context: Context, data_dict: DataDict) -> AuthResult:
    """The list says how the search reads words, nothing about entries."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def govshare_search_suggest(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone who may search: the suggestions are searched as the caller."""
    return {"success": True}
