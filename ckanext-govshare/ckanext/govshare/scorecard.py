"""The evaluation scorecard (鹤壁 第二十八条; requirements §4.6): per department, the failings
the regulation names, each with the entries, requests and reports behind its count, a score
from configured weights, a ranking and the trend by month.

The counts are the department figures (figures.py) wherever a figure exists; the scorecard
adds only what no figure counts (refusals taken to coordination, the authority's findings of
misuse). What each failing is:

- catalog not compiled, not registered, not updated on time (目录未编制、未备案、未按时更新):
  ``catalog_not_compiled`` (the department has no entry at the period's end),
  ``entries_returned`` (entries the authority returned and the department has not
  resubmitted: not registered), ``duty_changes_overdue``, ``update_overdue``;
- data not provided (数据未按要求提供): ``refusals_contested`` — every refusal carries a
  reason (the refuse schema requires one), so "without a proper reason" is what the
  authority contests: a refused request it took to coordination (协商, cases.py);
  ``requests_answered_late`` (answered after the deadline) and ``requests_escalated``;
- data inconsistent or unusable (数据不一致、不可用): ``error_reports_confirmed`` (the
  provider corrected the data);
- duplicate collection (重复采集): ``duplicated_items`` (一数一源, sources.py);
- use beyond the granted purpose (超出授权用途使用): ``misuse_findings``, as the authority
  recorded them (``record_misuse``).

Score: 100 minus the weighted failings (``govshare.scorecard.weights``), never below 0;
departments rank by the weighted failings, fewest first (equal ones share a rank). The
trend scores, month by month, the failings dated in that month (requests and reports by
the day they were received, findings by the day they were made); the catalog failings are
as of today (as in figures.py) and have no history, so they are not in the trend.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ckanext.govshare import access, codes, figures, notify, workdays
from ckanext.govshare.model import (Grant, MisuseFinding, Request, ScorecardNote,
                                    ScorecardPublication)
from ckanext.govshare.model.error_report import CORRECTED
from ckanext.govshare.workflow import APPROVED, REFUSED, audit, error, violates

log = logging.getLogger(__name__)

FULL_SCORE = 100
EVIDENCE_LIMIT = 100  # evidence rows kept per failing and department; the count is complete

CATALOG, NOT_PROVIDED, UNUSABLE, DUPLICATE, MISUSE = (
    "catalog", "not_provided", "unusable", "duplicate", "misuse")
# (key, the 第二十八条 failing it is evidence of, default weight)
FAILINGS: tuple[tuple[str, str, float], ...] = (
    ("catalog_not_compiled", CATALOG, 10),
    ("entries_returned", CATALOG, 1),
    ("duty_changes_overdue", CATALOG, 3),
    ("update_overdue", CATALOG, 1),
    ("refusals_contested", NOT_PROVIDED, 3),
    ("requests_answered_late", NOT_PROVIDED, 2),
    ("requests_escalated", NOT_PROVIDED, 2),
    ("error_reports_confirmed", UNUSABLE, 1),
    ("duplicated_items", DUPLICATE, 1),
    ("misuse_findings", MISUSE, 5),
)
KEYS = tuple(key for key, _, _ in FAILINGS)
# Failings dated by an event in the period (the others are a state as of today).
TREND_KEYS = ("refusals_contested", "requests_answered_late", "requests_escalated",
              "error_reports_confirmed", "misuse_findings")
_REQUEST_KINDS = ("share_requests", "open_applications")


def group_labels() -> dict[str, str]:
    return {CATALOG: tk._("Catalog not compiled, not registered or not updated on time"),
            NOT_PROVIDED: tk._("Data not provided"),
            UNUSABLE: tk._("Data inconsistent or unusable"),
            DUPLICATE: tk._("Duplicate collection"),
            MISUSE: tk._("Use beyond the granted purpose")}


def labels() -> dict[str, str]:
    return {"catalog_not_compiled": tk._("no catalog compiled (no entry)"),
            "entries_returned": tk._("entries returned and not resubmitted for registration"),
            "duty_changes_overdue": tk._("catalog updates overdue after a duty change"),
            "update_overdue": tk._("entries overdue for update"),
            "refusals_contested": tk._("refusals the authority took to coordination"),
            "requests_answered_late": tk._("requests answered after the deadline"),
            "requests_escalated": tk._("requests escalated for not being answered in time"),
            "error_reports_confirmed": tk._("error reports confirmed as errors"),
            "duplicated_items": tk._("information items duplicated from a source department"),
            "misuse_findings": tk._("findings of use beyond the granted purpose")}


def failings() -> list[dict[str, Any]]:
    """Every failing with its group, label and weight: the one list pages and the API show."""
    weight, label, group = weights(), labels(), group_labels()
    return [{"key": key, "group": kind, "group_label": group[kind], "label": label[key],
             "weight": weight[key]} for key, kind, _ in FAILINGS]


def weights() -> dict[str, float]:
    """``govshare.scorecard.weights``: ``key:weight`` pairs over the defaults. A pair that
    names no failing or no number is logged and left out, so a typo never stops the page."""
    found = {key: float(default) for key, _, default in FAILINGS}
    configured = tk.config.get("govshare.scorecard.weights") or []
    for pair in configured.split() if isinstance(configured, str) else configured:
        key, _, value = str(pair).partition(":")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if key not in found or number < 0:
            log.warning("govshare.scorecard.weights: %r is not failing:weight (ignored)", pair)
            continue
        found[key] = number
    return found


# ------------------------------------------------------------------ counts

# Refused requests the authority took to coordination (a case on the request).
REFUSALS_CONTESTED = f"""
    SELECT r.provider_org_id AS org, count(DISTINCT r.id) AS refusals_contested
    FROM govshare_request r JOIN govshare_case c ON c.request_id = r.id
    WHERE r.state = '{REFUSED}' AND r.created >= :since AND r.created < :until
      AND {{orgs:r.provider_org_id}}
    GROUP BY r.provider_org_id"""

MISUSE_FINDINGS = """
    SELECT m.owner_org AS org, count(*) AS misuse_findings
    FROM govshare_misuse_finding m
    WHERE m.found_on >= :day_from AND m.found_on <= :day_to AND {orgs:m.owner_org}
    GROUP BY m.owner_org"""


def _params(span: figures.Period, wanted: Optional[list[str]]) -> dict[str, Any]:
    return {**figures.query_params(span, wanted), "day_from": span.start, "day_to": span.end}


def _rows(statement: str, span: figures.Period,
          wanted: Optional[list[str]]) -> dict[str, dict[str, Any]]:
    """An aggregate by department (``org``), the city row of figures' queries left out."""
    found = model.Session.execute(text(figures.scoped(statement, wanted)),
                                  _params(span, wanted)).mappings()
    return {row["org"]: figures.row_values(row) for row in found
            if row["org"] is not None and not row.get("city")}


def _from_figures(f: dict[str, Any]) -> dict[str, int]:
    """The failings the department figures count."""
    return {
        "catalog_not_compiled": 1 if not f.get("entries") else 0,
        "entries_returned": f.get(f"catalog_state_{codes.RETURNED}", 0),
        "duty_changes_overdue": f.get("duty_changes_overdue", 0),
        "update_overdue": f.get("update_overdue", 0),
        "duplicated_items": f.get("duplicated_items", 0),
        **_flows(f),
    }


def _flows(f: dict[str, Any]) -> dict[str, int]:
    return {
        "requests_answered_late": sum(
            f.get(f"{p}_approved", 0) + f.get(f"{p}_refused", 0) - f.get(f"{p}_on_time", 0)
            for p in _REQUEST_KINDS),
        "requests_escalated": sum(f.get(f"{p}_escalated", 0) for p in _REQUEST_KINDS),
        "error_reports_confirmed": f.get("error_reports_confirmed", 0),
    }


def _scored(counts: dict[str, int], weight: dict[str, float],
            keys: Iterable[str] = KEYS) -> tuple[float, float]:
    penalty = round(sum(weight[k] * counts.get(k, 0) for k in keys), 2)
    return penalty, max(0.0, round(FULL_SCORE - penalty, 2))


def _evaluated_departments(departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every department but the data authority itself."""
    authority = model.Group.get(access.authority_org_name() or "")
    return [d for d in departments if authority is None or d["id"] != authority.id]


def compute(span: figures.Period) -> dict[str, Any]:
    """Every department's failings, weighted failings (``penalty``), score and rank.

    Returns ``{period, today, departments: [{id, name, title, failings, penalty, score,
    rank}]}``, ranked."""
    found = figures.compute(span)
    extra = _rows(REFUSALS_CONTESTED, span, None)
    for org, values in _rows(MISUSE_FINDINGS, span, None).items():
        extra.setdefault(org, {}).update(values)
    weight = weights()
    rows = []
    for d in _evaluated_departments(found["departments"]):
        counts = _from_figures(d["figures"])
        counts.update({k: extra.get(d["id"], {}).get(k, 0)
                       for k in ("refusals_contested", "misuse_findings")})
        penalty, score = _scored(counts, weight)
        rows.append({"id": d["id"], "name": d["name"], "title": d["title"],
                     "failings": counts, "penalty": penalty, "score": score})
    rows.sort(key=lambda r: (r["penalty"], r["title"]))
    for i, row in enumerate(rows):
        same = i and rows[i - 1]["penalty"] == row["penalty"]
        row["rank"] = rows[i - 1]["rank"] if same else i + 1
    return {"period": found["period"], "today": found["today"], "departments": rows}


def months(span: figures.Period) -> list[figures.Period]:
    """The months of the period, the first and last cut to it."""
    result, month = [], span.start.replace(day=1)
    while month <= span.end:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        result.append(figures.Period(max(month, span.start),
                                     min(following - datetime.timedelta(days=1), span.end)))
        month = following
    return result


def trend(span: figures.Period, org_ids: list[str]) -> list[dict[str, Any]]:
    """The score by month from the failings dated in it: ``[{month, scores: {org id:
    score}}]`` for these departments."""
    weight = weights()
    result = []
    for month in months(span):
        counts: dict[str, dict[str, Any]] = {}
        for statement in (figures.requests_sql(), figures.ERROR_REPORTS, REFUSALS_CONTESTED,
                          MISUSE_FINDINGS):
            for org, values in _rows(statement, month, org_ids).items():
                counts.setdefault(org, {}).update(values)
        scores = {}
        for org in org_ids:
            found = counts.get(org, {})
            dated = {**_flows(found), **{k: found.get(k, 0)
                                         for k in ("refusals_contested", "misuse_findings")}}
            scores[org] = _scored(dated, weight, TREND_KEYS)[1]
        result.append({"month": month.start.isoformat()[:7], "scores": scores})
    return result


# ------------------------------------------------------------------ evidence

def _entry_rows(where: str) -> str:
    return f"""
        SELECT p.owner_org AS org, 'entry' AS kind, p.id, p.name, coalesce(p.title, p.name) AS label,
               NULL AS detail
        FROM package p
        WHERE p.state = 'active' AND p.type = 'dataset' AND {{orgs:p.owner_org}} AND {where}
        ORDER BY p.title"""


def _request_rows(where: str) -> str:
    return f"""
        SELECT r.provider_org_id AS org, 'request' AS kind, r.id, r.id AS name,
               coalesce(p.title, p.name) AS label, r.deadline::text AS detail
        FROM govshare_request r JOIN package p ON p.id = r.package_id
        WHERE r.created >= :since AND r.created < :until AND {{orgs:r.provider_org_id}}
          AND {where}
        ORDER BY r.created"""


_ANSWERED = f"r.state IN ('{APPROVED}', '{REFUSED}')"

EVIDENCE: dict[str, str] = {
    "entries_returned": _entry_rows(
        f"p.extras ->> 'catalog_state' = '{codes.RETURNED}' AND p.metadata_created < :until"),
    "update_overdue": _entry_rows(f"p.id IN ({figures.overdue_entries_sql()})"),
    "duty_changes_overdue": """
        SELECT d.owner_org AS org, 'duty_change' AS kind, d.id::text AS id, d.id::text AS name,
               d.description AS label, d.due::text AS detail
        FROM govshare_duty_change d
        WHERE d.updated IS NULL AND d.due < :today AND {orgs:d.owner_org}
        ORDER BY d.due""",
    "refusals_contested": _request_rows(
        f"r.state = '{REFUSED}' AND EXISTS (SELECT 1 FROM govshare_case c "
        "WHERE c.request_id = r.id)"),
    "requests_answered_late": _request_rows(
        f"{_ANSWERED} AND {figures.local_day('r.decided')} > r.deadline"),
    "requests_escalated": _request_rows("r.escalated"),
    "error_reports_confirmed": f"""
        SELECT e.provider_org_id AS org, 'error_report' AS kind, e.id, e.id AS name,
               coalesce(p.title, p.name) AS label, e.location AS detail
        FROM govshare_error_report e JOIN package p ON p.id = e.package_id
        WHERE e.state = '{CORRECTED}' AND e.created >= :since AND e.created < :until
          AND {{orgs:e.provider_org_id}}
        ORDER BY e.created""",
    # one row per item, as duplicated_items counts them (figures.DUPLICATED)
    "duplicated_items": """
        SELECT p.owner_org AS org, 'item' AS kind, s.item AS id, min(s.name) AS name,
               min(s.name) AS label, string_agg(DISTINCT coalesce(p.title, p.name), '、') AS detail
        FROM govshare_info_item i
        JOIN package p ON p.id = i.package_id
        LEFT JOIN govshare_info_item_synonym syn ON syn.variant = i.normalised
        JOIN govshare_info_item_source s ON s.item = coalesce(syn.canonical, i.normalised)
        WHERE p.state = 'active' AND coalesce(p.extras ->> 'catalog_state', '') = :registered
          AND s.owner_org <> p.owner_org AND {orgs:p.owner_org}
        GROUP BY p.owner_org, s.item
        ORDER BY min(s.name)""",
    "misuse_findings": """
        SELECT m.owner_org AS org, 'misuse' AS kind, m.id, coalesce(m.request_id, '') AS name,
               m.description AS label, m.found_on::text AS detail
        FROM govshare_misuse_finding m
        WHERE m.found_on >= :day_from AND m.found_on <= :day_to AND {orgs:m.owner_org}
        ORDER BY m.found_on""",
}


def evidence(span: figures.Period,
             org_ids: Optional[list[str]] = None) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """What is behind each count: ``{org id: {failing: [{kind, id, name, label, detail}]}}``,
    at most ``EVIDENCE_LIMIT`` rows per failing and department. ``kind`` says what the row
    is (entry, request, error_report, duty_change, item, misuse), for the page's links."""
    params = _params(span, org_ids)
    result: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for key, statement in EVIDENCE.items():
        for row in model.Session.execute(text(figures.scoped(statement, org_ids)),
                                         params).mappings():
            rows = result.setdefault(row["org"], {}).setdefault(key, [])
            if len(rows) < EVIDENCE_LIMIT:
                rows.append({k: row[k] for k in ("kind", "id", "name", "label", "detail")})
    return result


# ------------------------------------------------------------------ the authority's word

def notes(span: figures.Period) -> dict[str, str]:
    return {n.owner_org: n.note for n in model.Session.query(ScorecardNote).filter(
        ScorecardNote.date_from == span.start, ScorecardNote.date_to == span.end)}


def annotate(user: model.User, span: figures.Period, org: model.Group, note: str) -> None:
    """The authority's note on a department for a period; an empty note removes it."""
    found = model.Session.query(ScorecardNote).filter(
        ScorecardNote.date_from == span.start, ScorecardNote.date_to == span.end,
        ScorecardNote.owner_org == org.id).with_for_update().one_or_none()
    if not note:
        if found is not None:
            model.Session.delete(found)
    elif found is None:
        try:
            with model.Session.begin_nested():
                model.Session.add(ScorecardNote(date_from=span.start, date_to=span.end,
                                                owner_org=org.id, note=note, updated_by=user.id))
        except IntegrityError as failure:
            if not violates(failure, "govshare_scorecard_note_once"):
                raise
            raise error("note", tk._("Someone annotated this department at the same time; "
                                     "please reload and try again"))
    else:
        found.note, found.updated, found.updated_by = note, datetime.datetime.utcnow(), user.id
    audit("scorecard_note", org.id, "annotate", user, **span.as_dict(), note=note or None)


def publication(span: Optional[figures.Period] = None) -> Optional[ScorecardPublication]:
    """The published scorecard of the period; no period: the latest published."""
    query = model.Session.query(ScorecardPublication)
    if span is not None:
        return query.filter(ScorecardPublication.date_from == span.start,
                            ScorecardPublication.date_to == span.end).one_or_none()
    return query.order_by(ScorecardPublication.date_to.desc(),
                          ScorecardPublication.published.desc()).first()


def publications() -> list[dict[str, Any]]:
    return [p.as_dict() for p in model.Session.query(ScorecardPublication).order_by(
        ScorecardPublication.date_to.desc(), ScorecardPublication.date_from.desc())]


def add_detail(span: figures.Period, rows: list[dict[str, Any]]) -> None:
    """Each row's evidence, note and trend."""
    ids = [row["id"] for row in rows]
    proof, said, by_month = evidence(span, ids), notes(span), trend(span, ids)
    for row in rows:
        row["evidence"] = proof.get(row["id"], {})
        row["note"] = said.get(row["id"])
        row["trend"] = [{"month": m["month"], "score": m["scores"][row["id"]]} for m in by_month]


def full(span: figures.Period) -> dict[str, Any]:
    """The whole scorecard of a period, every department in full (what is published)."""
    card = compute(span)
    add_detail(span, card["departments"])
    card["weights"] = weights()
    return card


def publish(user: model.User, span: figures.Period) -> ScorecardPublication:
    """Freeze the period's scorecard for the departments (again: replace it) and tell their
    administrators."""
    content = full(span)
    found = (model.Session.query(ScorecardPublication)
             .filter(ScorecardPublication.date_from == span.start,
                     ScorecardPublication.date_to == span.end)
             .with_for_update().one_or_none())
    if found is None:
        found = ScorecardPublication(date_from=span.start, date_to=span.end, content=content,
                                     published_by=user.id)
        try:
            with model.Session.begin_nested():
                model.Session.add(found)
        except IntegrityError as failure:
            if not violates(failure, "govshare_scorecard_period"):
                raise
            raise error("date_from", tk._("This scorecard is being published at the same time; "
                                          "please reload"))
        action = "publish"
    else:
        found.content, found.published = content, datetime.datetime.utcnow()
        found.published_by, action = user.id, "republish"
    model.Session.flush()
    audit("scorecard", str(found.id), action, user, **span.as_dict())
    admins = (model.Session.query(model.User)
              .join(model.Member, model.Member.table_id == model.User.id)
              .filter(model.Member.group_id.in_([d["id"] for d in content["departments"]]),
                      model.Member.table_name == "user", model.Member.state == "active",
                      model.Member.capacity == "admin", model.User.state == "active"))
    subject = tk._("The evaluation scorecard from {start} to {end} is published").format(
        start=span.start.isoformat(), end=span.end.isoformat())
    notify.tell(admins, subject, subject,
                link=f"/govshare/scorecard?date_from={span.start}&date_to={span.end}")
    return found


def published_for(content: dict[str, Any], org_id: str) -> dict[str, Any]:
    """What a department sees of a published scorecard: the ranking (each department's
    title, score and rank) and its own row in full."""
    own = next((d for d in content["departments"] if d["id"] == org_id), None)
    return {"period": content["period"], "today": content["today"],
            "weights": content.get("weights", {}),
            "departments": [{k: d[k] for k in ("id", "name", "title", "score", "rank")}
                            for d in content["departments"]],
            "department": own}


def record_misuse(user: model.User, data: dict[str, Any]) -> MisuseFinding:
    """A finding of use beyond the granted purpose, against the department the grant was
    given to: named by the grant, or by the request it answered."""
    request = model.Session.get(Request, data["request_id"]) if data.get("request_id") else None
    if data.get("request_id") and request is None:
        raise error("request_id", tk._("Request not found"))
    if request is not None and not request.grant_id:
        raise error("request_id", tk._("This request was not granted: there is no granted "
                                       "purpose to go beyond"))
    grant_id = data.get("grant_id") or (request.grant_id if request else None)
    if not grant_id:
        raise error("grant_id", tk._("Name the grant or the request the finding concerns"))
    if request is not None and data.get("grant_id") and request.grant_id != data["grant_id"]:
        raise error("grant_id", tk._("This grant does not answer that request"))
    grant = model.Session.get(Grant, grant_id)
    if grant is None:
        raise error("grant_id", tk._("Grant not found"))
    if not grant.grantee_org_id:
        raise error("grant_id", tk._("This grant was given to a person, not a department"))
    if request is None:
        request = model.Session.query(Request).filter(Request.grant_id == grant.id).first()
    found_on = data.get("found_on") or workdays.today()
    if found_on > workdays.today():
        raise error("found_on", tk._("A finding cannot be dated in the future"))
    finding = MisuseFinding(owner_org=grant.grantee_org_id, grant_id=grant.id,
                            request_id=request.id if request else None,
                            description=data["description"], found_on=found_on,
                            recorded_by=user.id)
    model.Session.add(finding)
    model.Session.flush()
    audit("misuse", finding.id, "record", user, owner_org=finding.owner_org,
          grant_id=grant.id, request_id=finding.request_id)
    return finding
