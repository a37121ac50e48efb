"""What the govshare pages share: the blueprint, and sending anonymous users to log in."""
from __future__ import annotations

import functools
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from flask import Blueprint, request

from ckanext.govshare import pages

govshare = Blueprint("govshare", __name__)


def logged_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous users go to the login page, and come back."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if pages.current_user() is None:
            return tk.redirect_to("user.login", came_from=request.full_path)
        return view(*args, **kwargs)
    return wrapped
