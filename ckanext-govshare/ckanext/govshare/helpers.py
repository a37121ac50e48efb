"""Template helpers."""
from __future__ import annotations

from typing import Any

from ckanext.govshare import access

__all__ = ["govshare_how_to_get_access"]


def govshare_how_to_get_access(package: dict[str, Any]) -> str:
    return access.how_to_get_access(package)
