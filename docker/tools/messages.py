"""Messages of the container tools: on stderr, in the container log, marked [govshare]."""
from __future__ import annotations

import sys
from typing import NoReturn


def log(msg: str) -> None:
    print(f"[govshare] {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> NoReturn:
    log(f"ERROR: {msg}")
    sys.exit(1)
