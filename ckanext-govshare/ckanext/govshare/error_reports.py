"""Error reports (纠错 / 校核, requirements §4.3): anyone signed in who can see an entry
reports a doubtful value; the provider department answers within
``govshare.error_report.reply_working_days`` working days, ``corrected`` or ``not_error``
with an explanation; reports left unanswered go to the data authority with the overdue
requests (the daily deadline job, ``workflow.remind_and_escalate``).

Nothing here commits: the action that calls it does, once. An answer locks the report
row, so that two simultaneous answers cannot both win.
"""
from __future__ import annotations

import datetime
import mimetypes
import os
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import uploader
from sqlalchemy import exists, false, insert, true, update
from werkzeug.datastructures import FileStorage

from ckanext.govshare import access, inputs, notify, workdays
from ckanext.govshare.model import Audit, ErrorReport
from ckanext.govshare.model.error_report import CORRECTED, NOT_ERROR, OPEN
from ckanext.govshare.workflow import audit, authority_users, error, members

OUTCOMES = (CORRECTED, NOT_ERROR)
# Who answers for the provider: those who may edit its entries.
CORRECTORS = ("admin", "editor")
NAME_MAX = 200  # an evidence file's name


def state_label(state: str) -> str:
    return {OPEN: tk._("awaiting the provider's answer"), CORRECTED: tk._("corrected"),
            NOT_ERROR: tk._("not an error")}.get(state, state)


def link(report_id: str) -> str:
    return f"/govshare/error-reports/{report_id}"


# ------------------------------------------------------------------ who

def correctors(org_id: str) -> list[model.User]:
    return members(org_id, CORRECTORS)


def may_resolve(user: Optional[model.User], report: ErrorReport) -> bool:
    """The provider department's administrators and editors."""
    if user is None:
        return False
    return access.is_sysadmin(user) or report.provider_org_id in access.department_ids(
        user, CORRECTORS)


def visible_clause(user: Optional[model.User]) -> Any:
    """The reports a user may see, as SQL: the authority's all; others their own and those
    about their departments' entries."""
    if user is None:
        return false()
    if access.is_authority(user) or access.is_sysadmin(user):
        return true()
    return (ErrorReport.provider_org_id.in_(list(access.department_ids(user)))
            | (ErrorReport.reporter_user_id == user.id))


def may_see(user: Optional[model.User], report: ErrorReport) -> bool:
    return model.Session.query(exists().where(
        ErrorReport.id == report.id, visible_clause(user))).scalar()


def overdue_clause(today: Optional[datetime.date] = None) -> Any:
    """``ErrorReport.is_overdue`` as SQL."""
    return (ErrorReport.state == OPEN) & (ErrorReport.deadline < (today or workdays.today()))


# ------------------------------------------------------------------ evidence files

def evidence_upload(value: Any) -> Optional[FileStorage]:
    """The file sent as ``evidence`` (a multipart field of the form or the API), if any."""
    return value if isinstance(value, FileStorage) and value.filename else None


def evidence_path(report_id: str) -> str:
    """In the FileStore (backed up with it), outside what CKAN serves: only the download
    page hands it out, to those who may see the report."""
    return os.path.join(uploader.get_storage_path(), "govshare", "evidence", report_id)


def evidence_content(upload: FileStorage) -> tuple[bytes, str]:
    """The file's bytes and its name, within the configured size and types."""
    name = os.path.basename(upload.filename.replace("\\", "/")).strip()
    if not inputs.storable(name) or len(name) > NAME_MAX:
        raise error("evidence", tk._("The evidence file's name must be text of at most "
                                     "{max} characters").format(max=NAME_MAX))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = [t.lower().lstrip(".") for t in tk.config.get("govshare.error_report.evidence_types")]
    if extension not in allowed:
        raise error("evidence", tk._("This type of evidence file is not accepted; accepted: "
                                     "{types}").format(types="、".join(allowed)))
    limit = tk.config.get("govshare.error_report.evidence_max_mb") * 1024 * 1024
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise error("evidence", tk._("The evidence file is larger than {size} MB").format(
            size=tk.config.get("govshare.error_report.evidence_max_mb")))
    if not content:
        raise error("evidence", tk._("The evidence file is empty"))
    return content, name


def store_evidence(report: ErrorReport, content: bytes, name: str) -> None:
    """Writes the checked file under the report's id (the caller's commit makes it count;
    ``drop_evidence`` undoes it when that fails)."""
    path = evidence_path(report.id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as out:
        out.write(content)
    os.replace(path + ".part", path)
    report.evidence_filename = name
    report.evidence_mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    report.evidence_size = len(content)


def drop_evidence(report_id: str) -> None:
    try:
        os.remove(evidence_path(report_id))
    except FileNotFoundError:
        pass


# ------------------------------------------------------------------ reporting

def create(user: model.User, data: dict[str, Any],
           upload: Optional[FileStorage] = None) -> ErrorReport:
    """The schema has checked that the entry exists for this user (a hidden entry is
    reported missing, in the same words); ``upload`` is an evidence file."""
    package = model.Package.get(data["package_id"])
    resource_id = data.get("resource_id")
    if resource_id and resource_id not in {r.id for r in package.resources}:
        raise error("resource_id", tk._("This resource is not one of the entry's"))
    if not package.owner_org:
        raise error("package_id", tk._("This entry has no provider department to answer"))
    evidence = evidence_content(upload) if upload is not None else None
    report = ErrorReport(
        package_id=package.id, resource_id=resource_id or None,
        provider_org_id=package.owner_org, reporter_user_id=user.id,
        description=data["description"], location=data["location"],
        evidence=data.get("evidence") or None, state=OPEN,
        deadline=workdays.add_working_days(
            workdays.today(), tk.config.get("govshare.error_report.reply_working_days"),
            "package_id"))
    model.Session.add(report)
    model.Session.flush()
    if evidence is not None:
        store_evidence(report, *evidence)
    audit("error_report", report.id, "create", user, None, OPEN)
    notify.tell(correctors(package.owner_org),
                tk._("Error report on {title}").format(title=package.title),
                tk._("A user reports a doubtful value in {title} ({location}): {description}\n"
                     "Please check it and answer by {deadline}.").format(
                    title=package.title, location=report.location,
                    description=report.description, deadline=report.deadline),
                link=link(report.id))
    return report


# ------------------------------------------------------------------ answering

def locked(report_id: str) -> ErrorReport:
    """The report row, locked until commit: a concurrent answer waits, then sees the new state."""
    report = (model.Session.query(ErrorReport).filter(ErrorReport.id == report_id)
              .populate_existing().with_for_update().one_or_none())
    if report is None:
        raise tk.ObjectNotFound(tk._("Error report not found"))
    return report


def resolve(user: model.User, report: ErrorReport, outcome: str,
            explanation: str) -> ErrorReport:
    if outcome not in OUTCOMES:
        raise error("outcome", tk._("The outcome is either corrected (the value was wrong and "
                                    "has been fixed) or not_error (the value is right)"))
    if report.state != OPEN:
        raise error("id", tk._("This error report is already answered: {state}").format(
            state=state_label(report.state)))
    report.state = outcome
    report.resolved = datetime.datetime.utcnow()
    report.resolved_by = user.id
    report.explanation = explanation
    audit("error_report", report.id, outcome, user, OPEN, outcome, note=explanation)
    package = model.Package.get(report.package_id)
    subject = (tk._("Your error report on {title}: corrected") if outcome == CORRECTED
               else tk._("Your error report on {title}: not an error")).format(title=package.title)
    notify.tell([model.User.get(report.reporter_user_id)], subject,
                f"{subject}\n{explanation}", link=link(report.id))
    return report


# ------------------------------------------------------------------ time

def escalate(today: datetime.date) -> int:
    """Part of the daily deadline job: mark the reports that fell overdue (each once, in one
    UPDATE ... RETURNING) and tell the data authority about them in one message."""
    overdue = model.Session.execute(
        update(ErrorReport)
        .where(overdue_clause(today), ErrorReport.escalated.is_(False))
        .values(escalated=True)
        .returning(ErrorReport.id)
        .execution_options(synchronize_session="fetch")).all()
    if not overdue:
        return 0
    model.Session.execute(insert(Audit), [
        {"object_type": "error_report", "object_id": report_id, "action": "escalate",
         "from_state": OPEN, "to_state": OPEN, "user_id": None, "detail": None}
        for report_id, in overdue])
    notify.tell(authority_users(),
                tk._("Overdue error reports: {count}").format(count=len(overdue)),
                tk._("{count} error report(s) were not answered by the provider in time; "
                     "they are at the top of your list.").format(count=len(overdue)),
                link="/govshare/error-reports?tab=all",
                key=f"error-report-digest:{today.isoformat()}")
    return len(overdue)
