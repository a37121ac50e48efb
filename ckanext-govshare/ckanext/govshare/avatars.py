"""Avatars drawn by the portal: a government intranet reaches no Gravatar (nor any outside
host), so a user without an uploaded image gets their initials on a colour of their own.
An image URL on another host counts as none: pages name no outside host."""
from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import urlparse

import ckan.plugins.toolkit as tk


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


def initials(name: str) -> str:
    """张三丰 → 三丰 (a Chinese name by its given name, as Chinese apps show it);
    Li Lei → LL; anything else its first character."""
    name = (name or "").strip()
    if not name:
        return "?"
    if _is_cjk(name[0]):
        han = [c for c in name if _is_cjk(c)]
        return "".join(han[-2:]) if len(han) > 1 else han[0]
    words = [w for w in name.replace("_", " ").replace("-", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or name[0].upper()


def colour(name: str) -> str:
    """A steady, readable background for white text: the same person, the same colour."""
    hue = int(hashlib.sha1((name or "").encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue}, 45%, 40%)"


def is_local(image_url: str) -> bool:
    """An uploaded image (CKAN keeps its file name) or one on this site."""
    parsed = urlparse(image_url or "")
    if not parsed.netloc:
        return bool(image_url) and not parsed.scheme
    return parsed.netloc == urlparse(tk.config.get("ckan.site_url") or "").netloc
