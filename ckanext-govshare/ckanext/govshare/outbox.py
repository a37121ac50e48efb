"""Side effects through the outbox: an email is a row written in the same transaction
as the change that causes it, so that a saved change always has its email and a failed
change has none. The sweep (an RQ job, ``ckan govshare outbox-sweep`` and the daily
``ckan govshare escalate``) sends the rows: over SMTP in production, or into
``govshare.mail.file_dir`` as .eml files (the local stack has no mail server).

After a commit that wrote rows, the sweep job is queued; Redis being down is logged and
changes nothing else: the rows wait for the next sweep.
"""
from __future__ import annotations

import datetime
import logging
import os
from email import utils
from email.message import EmailMessage
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import mailer
from sqlalchemy import event, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session as OrmSession

from ckanext.govshare.model import OutboxMail

log = logging.getLogger(__name__)
_WRITTEN = "govshare_outbox_written"
MAX_DELAY = datetime.timedelta(hours=6)  # the longest wait between two attempts


def mail(to_address: str, subject: str, body: str, to_name: str = "",
         key: Optional[str] = None) -> dict[str, Any]:
    """An outbox row, for write_many()."""
    now = datetime.datetime.utcnow()
    return {"to_address": to_address, "to_name": to_name, "subject": subject, "body": body,
            "key": key, "created": now, "next_attempt": now, "attempts": 0}


def write(to_address: str, subject: str, body: str, to_name: str = "",
          key: Optional[str] = None) -> None:
    """One email, in the current transaction. With a ``key`` already in the outbox nothing
    is written (a message that goes once)."""
    write_many([mail(to_address, subject, body, to_name, key)])


def write_many(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = (pg_insert(OutboxMail).on_conflict_do_nothing(index_elements=["key"])
                 if any(r["key"] for r in rows) else insert(OutboxMail))
    model.Session.execute(statement, rows)
    model.Session.info[_WRITTEN] = True


# ------------------------------------------------------------------ after commit

@event.listens_for(model.Session, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(_WRITTEN, False):
        enqueue_sweep()


@event.listens_for(model.Session, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_WRITTEN, None)


def enqueue_sweep() -> None:
    """Queue a sweep for the RQ worker; a warning when Redis cannot take it."""
    try:
        tk.enqueue_job(sweep, title="govshare outbox")
    except Exception as error:  # redis-py raises several kinds; none may fail a saved change
        log.warning("Could not queue the outbox sweep (%s); the next sweep sends the mail",
                    error)


# ------------------------------------------------------------------ sending

def sweep(limit: int = 500) -> dict[str, int]:
    """Send the unsent emails that are due, oldest first, each in its own transaction:
    the row is locked ``FOR UPDATE SKIP LOCKED`` so that concurrent sweeps never send one
    twice, and marked sent (or its failure recorded) before the next one."""
    sent = failed = 0
    for _ in range(limit):
        row = (model.Session.query(OutboxMail)
               .filter(OutboxMail.sent.is_(None),
                       OutboxMail.next_attempt <= datetime.datetime.utcnow())
               .order_by(OutboxMail.id).limit(1)
               .with_for_update(skip_locked=True).one_or_none())
        if row is None:
            break
        try:
            deliver(row)
        except Exception as error:  # any failure of one mail is recorded; the others go on
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            row.next_attempt = datetime.datetime.utcnow() + min(
                datetime.timedelta(minutes=2 ** row.attempts), MAX_DELAY)
            failed += 1
            log.warning("Outbox mail %s to %s failed (attempt %s): %s", row.id,
                        row.to_address, row.attempts, error)
        else:
            row.attempts += 1
            row.sent = datetime.datetime.utcnow()
            row.last_error = None
            sent += 1
        model.Session.commit()
    return {"sent": sent, "failed": failed}


def file_dir() -> str:
    return tk.config.get("govshare.mail.file_dir")


def deliver(row: OutboxMail) -> None:
    """Over SMTP (CKAN's mailer and smtp.* settings), or as an .eml file in file_dir()."""
    directory = file_dir()
    if not directory:
        mailer.mail_recipient(row.to_name, row.to_address, row.subject, row.body)
        return
    message = EmailMessage()
    message.set_content(row.body, cte="8bit")  # readable as it is, link included
    message["Subject"] = row.subject
    message["From"] = utils.formataddr((tk.config.get("ckan.site_title"),
                                        tk.config.get("smtp.mail_from") or "govshare@localhost"))
    message["To"] = utils.formataddr((row.to_name, row.to_address))
    message["Date"] = utils.formatdate(localtime=False)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{row.created:%Y%m%d-%H%M%S}-{row.id}.eml")
    with open(path + ".part", "wb") as out:
        out.write(message.as_bytes())
    os.replace(path + ".part", path)


def where(address: str) -> str:
    """Where a mail to this address goes, in words for the user."""
    directory = file_dir()
    if directory:
        return tk._("This site writes its emails to files: the message to {email} is in "
                    "the mail directory {directory}").format(
            email=address, directory=os.path.abspath(directory))
    return tk._("It is on its way to {email}.").format(email=address)
