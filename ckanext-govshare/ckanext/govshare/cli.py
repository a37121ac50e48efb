"""``ckan govshare ...`` commands."""
from __future__ import annotations

import click

__all__ = ["govshare"]


@click.group(short_help="Government data platform commands")
def govshare() -> None:
    """Government information resource sharing (govshare) commands."""


@govshare.command("demo-load")
@click.option("--entries", default=300, show_default=True,
              help="How many catalog entries to create in all.")
def demo_load(entries: int) -> None:
    """Load the demo city: departments, theme groups, entries and CSV resources.

    Safe to run again: what already exists is left as it is.
    """
    from ckanext.govshare import demo

    demo.load(entries)


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
