"""Sharing a page as people here share one: a QR code of its address, scanned with WeChat
(X and Facebook buttons lead where the intranet and most users cannot go). The code is drawn
here (segno, SVG); only this site's own pages are encoded, so it is no QR service for others."""
from __future__ import annotations

import functools
import io
from typing import Optional
from urllib.parse import urljoin, urlparse

import ckan.plugins.toolkit as tk
import segno


def page_url(path: str) -> Optional[str]:
    """The address of one of this site's pages, from its path (None for anything else)."""
    parsed = urlparse(path or "")
    if parsed.scheme or parsed.netloc or not path.startswith("/") or path.startswith("//"):
        return None
    return urljoin(tk.config.get("ckan.site_url").rstrip("/") + "/", path.lstrip("/"))


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str) -> Optional[str]:
    """The QR code (error correction M, readable from a screen) as a standalone SVG image;
    None when the address is too long for a QR code (some 2,300 bytes)."""
    out = io.BytesIO()
    try:
        code = segno.make(url, error="m", boost_error=False)
    except segno.DataOverflowError:
        return None
    code.save(out, kind="svg", scale=4, border=2, title=url)
    return out.getvalue().decode()
