"""``ckan govshare ...`` commands."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ckan.cli import user as ckan_user

__all__ = ["govshare", "user"]


@click.group(short_help="Government data platform commands")
def govshare() -> None:
    """Government information resource sharing (govshare) commands."""


@govshare.command("demo-load")
@click.option("--entries", default=300, show_default=True, type=click.IntRange(min=0),
              help="How many catalog entries to create in all.")
def demo_load(entries: int) -> None:
    """Load the demo city: departments, theme groups, entries and CSV resources.

    Safe to run again: what already exists is left as it is.
    """
    from ckanext.govshare import demo

    demo.load(entries)


@govshare.command("xloader-token")
def xloader_token() -> None:
    """Print a new API token of the site user for ckanext-xloader (ckanext.xloader.api_token);
    the site user's previous one is revoked."""
    from ckan import model

    from ckanext.govshare import datastore

    click.echo(datastore.loader_token())
    model.Session.commit()


@govshare.command("apply-site-role")
def apply_site_role() -> None:
    """After changing govshare.site_role: refresh every entry's private flag and
    rebuild the search index, whose permission labels depend on the role."""
    from ckan import model
    from ckan.lib.search import rebuild

    from ckanext.govshare import access

    packages = model.Session.query(model.Package).filter(model.Package.state != "deleted")
    changed = 0
    for package in packages:
        private = not access.is_public_on_this_site((package.extras or {}).get("open_type"))
        if package.private != private:
            package.private = private
            changed += 1
    model.Session.commit()
    click.echo(f"site role {access.site_role()}: {changed} entries changed visibility; reindexing")
    rebuild()


def run_deadlines() -> dict[str, int]:
    """The deadline job as the site user (an RQ job, or the command below): the requests'
    deadlines, the catalog's update timeliness, then (in January) the annual report's
    reminders."""
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("govshare_remind_and_escalate")(
        {"user": site_user["name"], "ignore_auth": True}, {})
    timely = tk.get_action("govshare_timeliness_check")(
        {"user": site_user["name"], "ignore_auth": True}, {})
    annual = tk.get_action("govshare_annual_report_remind")(
        {"user": site_user["name"], "ignore_auth": True}, {})
    return {**result, **{f"timeliness_{key}": value for key, value in timely.items()}, **annual}


@govshare.command("escalate")
@click.option("--enqueue", is_flag=True, help="Queue the job for the RQ worker instead.")
def escalate(enqueue: bool) -> None:
    """Remind providers of near deadlines, send overdue requests to the data authority
    (one digest a day), then send what waits in the outbox. Run it daily (cron), e.g.
    `ckan -c ... govshare escalate`."""
    import ckan.plugins.toolkit as tk

    from ckanext.govshare import outbox

    if enqueue:
        job = tk.enqueue_job(run_deadlines, title="govshare deadlines")
        click.echo(f"queued job {job.id}")
        return
    result = run_deadlines()
    click.echo(f"reminded {result['reminded']}, escalated {result['escalated']}")
    click.echo(f"timeliness: reminded {result['timeliness_reminded']}, overdue "
               f"{result['timeliness_overdue_notified']}, reindexed "
               f"{result['timeliness_reindexed']}")
    _echo_sweep(outbox.sweep())


@govshare.command("outbox-sweep")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="At most this many emails in this run.")
def outbox_sweep(limit: int) -> None:
    """Send the emails waiting in the outbox (the RQ worker does it after each change;
    this is for when Redis or the mail server was down)."""
    from ckanext.govshare import outbox

    result = outbox.sweep(limit)
    _echo_sweep(result)
    if result["failed"]:
        raise click.exceptions.Exit(1)


@govshare.command("audit-sweep")
def audit_sweep() -> None:
    """Daily: record the grants that expired, and delete audit records older than
    govshare.audit.retention_days (the only deletion the database allows)."""
    from ckan import model

    from ckanext.govshare import audit

    expired = audit.record_expired_grants()
    removed = audit.purge()
    model.Session.commit()
    click.echo(f"audit: {expired} expired grant(s) recorded, {removed} old record(s) purged")


def _echo_sweep(result: dict[str, int]) -> None:
    click.echo(f"outbox: sent {result['sent']}, failed {result['failed']} (retried later)")


@govshare.command("sync-open")
@click.option("--enqueue", is_flag=True, help="Queue the run for the RQ worker instead.")
def sync_open(enqueue: bool) -> None:
    """Publish this sharing site's open entries to the open site and withdraw
    those no longer open (govshare.open_site.*). Safe to rerun: schedule it
    (cron), e.g. `ckan -c ... govshare sync-open`."""
    import ckan.plugins.toolkit as tk

    from ckanext.govshare import sync

    if enqueue:
        job = tk.enqueue_job(sync.run_job, title="govshare sync-open")
        click.echo(f"queued job {job.id}")
        return
    try:
        result = sync.sync_open()
    except sync.SyncError as error:
        raise click.ClickException(str(error))
    click.echo("\n".join(result.report()))
    if result.failed:
        raise click.exceptions.Exit(1)


@govshare.group("calendar")
def calendar() -> None:
    """The working-day calendar: the official holiday arrangement of each year."""


def _echo_year(shown: dict) -> None:
    state = shown["source"] if shown["known"] else "UNKNOWN (deadlines may not reach into it)"
    click.echo(f"{shown['year']}: {state}" + (f" — {shown['note']}" if shown["note"] else ""))
    for label, key in (("days off", "holidays"), ("makeup working days", "workdays")):
        days = " ".join(f"{d['date']}({d['source']})" for d in shown[key])
        click.echo(f"  {label}: {days or '-'}")


def _refused(error) -> click.ClickException:
    return click.ClickException("; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in error.error_dict.items()))


def _site_context() -> dict:
    import ckan.plugins.toolkit as tk

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


@calendar.command("show")
@click.argument("year")
def calendar_show(year: str) -> None:
    """Show YEAR as deadlines count it: days off, makeup working days, where each comes from."""
    import ckan.plugins.toolkit as tk

    try:
        shown = tk.get_action("govshare_calendar_show")(_site_context(), {"year": year})
    except tk.ValidationError as error:
        raise _refused(error)
    _echo_year(shown)


@calendar.command("set")
@click.argument("year")
@click.option("--holidays", default="", help="Days off: ISO dates separated by spaces or commas.")
@click.option("--workdays", default="", help="Makeup working days (调休), likewise.")
@click.option("--note", default="", help="Where the arrangement comes from (the notice).")
@click.option("--file", "path", type=click.File(encoding="utf-8"),
              help='JSON {"holidays": [...], "workdays": [...], "note": "..."} instead.')
def calendar_set(year: str, holidays: str, workdays: str, note: str, path) -> None:
    """Enter YEAR's official arrangement (国务院办公厅 放假安排); it replaces what was
    stored and is audited as the site user."""
    import json

    import ckan.plugins.toolkit as tk

    data = {"holidays": holidays, "workdays": workdays, "note": note}
    if path is not None:
        try:
            data = json.load(path)
        except ValueError as error:
            raise click.ClickException(f"{path.name} is not JSON: {error}")
        if not isinstance(data, dict):
            raise click.ClickException("the file must hold a JSON object")
    try:
        shown = tk.get_action("govshare_calendar_update")(_site_context(), {**data, "year": year})
    except tk.ValidationError as error:
        raise _refused(error)
    _echo_year(shown)


def _index_workers() -> int:
    import os

    return min(os.cpu_count() or 1, 8)


@govshare.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup(directory: Path) -> None:
    """Back the portal up into DIRECTORY (new or empty), safe while it serves:
    CKAN's and the DataStore's databases (pg_dump), the FileStore and a manifest
    of versions and checksums. The search index is rebuilt on restore, not kept."""
    from ckanext.govshare import backup as backups

    try:
        manifest = backups.create(directory, progress=click.echo)
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(str(error))
    size = sum(f["size"] for f in manifest["files"].values())
    click.echo(f"backup of {manifest['created_at']} in {directory}: {size} bytes")


@govshare.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Drop what the target databases and FileStore hold first (else they must be empty).")
@click.option("--workers", default=lambda: _index_workers(), show_default="the CPU count, at most 8",
              type=click.IntRange(min=1), help="Processes building the search index.")
def restore(directory: Path, replace: bool, workers: int) -> None:
    """Restore the backup in DIRECTORY into this portal's empty databases and FileStore
    (checksums and versions are verified first), then rebuild the search index."""
    from ckanext.govshare import backup as backups

    try:
        manifest = backups.restore(directory, replace=replace, workers=workers,
                                   progress=click.echo)
    except (backups.BackupError, OSError) as error:
        raise click.ClickException(str(error))
    click.echo(f"restored the backup of {manifest['created_at']}")


@govshare.command("reindex")
@click.option("--batch-size", default=250, show_default=True, type=click.IntRange(min=1),
              help="Entries per Solr request.")
@click.option("--workers", default=lambda: _index_workers(), show_default="the CPU count, at most 8",
              type=click.IntRange(min=1), help="Processes building the documents.")
def reindex(batch_size: int, workers: int) -> None:
    """Rebuild the search index like `ckan search-index rebuild`, the same documents, in
    batches from several processes with one commit at the end (much faster); entries no
    longer in the database leave the index."""
    from ckanext.govshare import backup as backups

    try:
        counted = backups.reindex(batch_size, workers=workers, progress=click.echo)
    except backups.BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"indexed {counted['indexed']} entries, removed {counted['removed']} "
               f"in {counted['seconds']:.1f} s")


@govshare.group("sources")
def sources_group() -> None:
    """One number, one source (一数一源): the index of information items."""


@sources_group.command("rebuild")
def sources_rebuild() -> None:
    """Rebuild the index of information items from every entry (after the migration, or
    entries written without the actions). One transaction."""
    from ckan import model

    from ckanext.govshare import sources

    count = sources.rebuild()
    model.repo.commit()
    click.echo(f"information items indexed: {count}")


@govshare.command("synonyms-push")
def synonyms_push() -> None:
    """Write the search synonyms to every Solr core that follows them (after Solr lost
    them, or a core was added to govshare.synonyms.solr_urls) and reload those cores."""
    from ckanext.govshare import synonyms

    failed = synonyms.push()
    if failed:
        raise click.ClickException(f"not written to {', '.join(failed)} (see the log)")
    click.echo(f"search synonyms written to {', '.join(synonyms.solr_urls())}")


# ------------------------------------------------------------------ ckan user token add

def _bare_token_add(core: click.Command) -> click.Command:
    """CKAN's ``ckan user token add`` (ckan/cli/user.py ``add_token``), run as with its
    ``--quiet``: stdout is the token alone (CKAN prints a heading and a tab before it, which
    scripts read as part of the token); the heading goes to stderr."""
    def add(**arguments: Any) -> None:
        arguments["quiet"] = True
        click.secho("API Token created:", fg="green", err=True)
        core.callback(**arguments)

    return click.Command("add", params=core.params, callback=add, help=core.help,
                         short_help=core.short_help, context_settings=core.context_settings)


def _user_group() -> click.Group:
    """CKAN's ``ckan user`` group with ``token add`` printing the bare token; every other
    command is CKAN's own (IClick replaces the core group by name)."""
    token = click.Group("token", help=ckan_user.token.help, commands={
        **ckan_user.token.commands, "add": _bare_token_add(ckan_user.token.commands["add"])})
    return click.Group("user", help=ckan_user.user.help, short_help=ckan_user.user.short_help,
                       commands={**ckan_user.user.commands, "token": token})


user = _user_group()


# ------------------------------------------------------------------ ckan govshare import

class _StageBars:
    """A click progress bar per stage of an import (reading, checking, writing, indexing)."""

    LABELS = {"read": "read", "validate": "check", "index": "write", "solr": "index"}

    def __init__(self) -> None:
        self.stage, self.bar, self.shown = "", None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = click.progressbar(length=total, label=self.LABELS.get(stage, stage).ljust(6))
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@govshare.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--department", required=True, help="The department (organization name or id).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; save nothing.")
@click.option("--user", "user_name", default=None,
              help="Import as this user (default: the site user).")
@click.option("--workers", default=lambda: _index_workers(), show_default="the CPU count, at most 8",
              type=click.IntRange(min=1), help="Processes building the search documents.")
def import_catalog(file: Path, department: str, dry_run: bool, user_name: str | None,
                   workers: int) -> None:
    """Import a catalog spreadsheet (.xlsx or .csv) in the national template, or an
    exchange document (.xml, valid against /govshare/exchange.xsd), into a department's
    catalog: all entries or, with any bad row or element, none (each is listed)."""
    import ckan.plugins.toolkit as tk
    from ckan import model

    from ckanext.govshare import catalog_import

    org = model.Group.get(department)
    if org is None or not org.is_organization:
        raise click.ClickException(f"no department {department}")
    name = user_name or tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    user = model.User.get(name)
    if user is None:
        raise click.ClickException(f"no user {name}")
    bars = _StageBars()
    try:
        with file.open("rb") as stream:
            result = catalog_import.run(user, org, stream, file.name, dry_run=dry_run,
                                        progress=bars, workers=workers)
    except tk.ValidationError as error:
        raise click.ClickException("; ".join(m for ms in error.error_dict.values() for m in ms))
    finally:
        bars.close()
    for error in result["errors"]:
        click.echo(f"row {error['row']}, {error['column']}: {error['message']}", err=True)
    click.echo(f"{'dry run: ' if dry_run else ''}created {result['created']}, "
               f"updated {result['updated']}, unchanged {result['unchanged']}, "
               f"errors {len(result['errors'])}")
    if result["errors"]:
        raise SystemExit(1)


@govshare.command("annual-report")
@click.option("--year", required=True, type=click.IntRange(min=2000),
              help="The year reported on.")
@click.option("--department", default=None, help="One department (organization name or id); "
              "default: the city report.")
@click.option("--output", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Where to write the files.")
def annual_report(year: int, department: str | None, output: Path) -> None:
    """Write a year's annual report (年度报告) as XLSX and PDF, as the data authority sees it:
    the city's with every department's pages, or one department's."""
    import ckan.plugins.toolkit as tk

    from ckanext.govshare import report_pdf, report_xlsx, reports

    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    data = {"year": year, **({"owner_org": department} if department else {})}
    try:
        shown = tk.get_action("govshare_annual_report_show")(
            {"user": site_user["name"], "ignore_auth": True}, data)
    except tk.ValidationError as error:
        raise click.ClickException("; ".join(f"{field}: {' '.join(map(str, errors))}"
                                             for field, errors in error.error_dict.items()))
    output.mkdir(parents=True, exist_ok=True)
    stem = output / reports.file_name(shown)
    stem.with_suffix(".xlsx").write_bytes(report_xlsx.workbook(shown))
    stem.with_suffix(".pdf").write_bytes(report_pdf.document(shown))
    click.echo(f"wrote {stem}.xlsx and {stem}.pdf")


@govshare.command("harvest-consumer")
@click.argument("queue", type=click.Choice(["gather", "fetch"]))
def harvest_consumer(queue: str) -> None:
    """Run ckanext-harvest's gather or fetch consumer, waiting on its Redis queue for good
    (``ckan harvester gather-consumer`` / ``fetch-consumer`` stop after 5 s without a job
    under redis-py 8: harvest.consume)."""
    from ckanext.govshare import harvest

    harvest.consume(queue)
