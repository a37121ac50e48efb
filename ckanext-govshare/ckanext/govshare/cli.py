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
