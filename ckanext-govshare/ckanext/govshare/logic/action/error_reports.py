"""Error reports (纠错 / 校核)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict
from sqlalchemy import case
from werkzeug.datastructures import FileStorage

from ckanext.govshare import access, error_reports
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated
from ckanext.govshare.model import Audit, ErrorReport

__all__ = ["govshare_error_report_create", "govshare_error_report_resolve",
           "govshare_error_report_list", "govshare_error_report_show"]


def govshare_error_report_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Report a doubtful value of an entry the caller can see.

    :param package_id: the entry; :param resource_id: optional, one of its resources
    :param description: what is wrong; :param location: which value, where
    :param evidence: optional text, or an uploaded file (multipart; its size and type
        within ``govshare.error_report.evidence_*``)
    Returns the report with id, state (open), deadline (working days), provider_org.
    """
    tk.check_access("govshare_error_report_create", context, data_dict)
    upload = error_reports.evidence_upload(data_dict.get("evidence"))
    if isinstance(data_dict.get("evidence"), FileStorage):  # a file, or a file field left empty
        data_dict = {k: v for k, v in data_dict.items() if k != "evidence"}
    data = validated(data_dict, schema.error_report_create(), context)
    report = error_reports.create(me(context), data, upload)
    try:
        commit(context)
    except Exception:
        error_reports.drop_evidence(report.id)
        raise
    return report.as_dict()


def govshare_error_report_resolve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The provider answers: :param outcome: corrected or not_error;
    :param explanation: required; the reporter is told."""
    tk.check_access("govshare_error_report_resolve", context, data_dict)
    data = validated(data_dict, schema.error_report_resolve(), context)
    report = error_reports.resolve(me(context), error_reports.locked(data["id"]),
                                   data["outcome"], data["explanation"])
    commit(context)
    return report.as_dict()


@tk.side_effect_free
def govshare_error_report_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A report with its audit trail."""
    tk.check_access("govshare_error_report_show", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    report = model.Session.get(ErrorReport, data["id"])
    if report is None:  # sysadmins skip the auth function, which says so for the others
        raise tk.ObjectNotFound(tk._("Error report not found"))
    result = report.as_dict()
    result["audit"] = [a.as_dict() for a in model.Session.query(Audit).filter(
        Audit.object_type == "error_report", Audit.object_id == report.id)
        .order_by(Audit.at, Audit.id)]
    return result


@tk.side_effect_free
def govshare_error_report_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The reports that concern the caller (their own, their departments', all for the
    authority), overdue first, then by deadline.

    :param package_id; :param owner_org: the provider department; :param state;
    :param overdue, :param mine (only the caller's own reports): bool filters;
    :param limit (default 50), offset
    """
    tk.check_access("govshare_error_report_list", context, data_dict)
    data = validated(data_dict, schema.error_report_list(), context)
    caller = access.context_user(context)
    query = model.Session.query(ErrorReport)
    if not access.acts_unrestricted(context):
        query = query.filter(error_reports.visible_clause(caller))
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(ErrorReport.package_id == (package.id if package else None))
    if data.get("owner_org"):
        org = model.Group.get(data["owner_org"])
        query = query.filter(ErrorReport.provider_org_id == (org.id if org else None))
    if data.get("state"):
        query = query.filter(ErrorReport.state == data["state"])
    overdue = error_reports.overdue_clause()
    if "overdue" in data:
        query = query.filter(overdue if data["overdue"] else ~overdue)
    if data.get("mine"):
        query = query.filter(ErrorReport.reporter_user_id == (caller.id if caller else None))
    total = query.count()
    rows = (query.order_by(case((overdue, 0), else_=1), ErrorReport.deadline,
                           ErrorReport.created)
            .offset(data.get("offset", 0)).limit(data.get("limit", 50)))
    return {"count": total, "results": [r.as_dict() for r in rows]}
