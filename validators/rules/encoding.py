"""Decoding values the way Kubernetes does before rules read them."""

from __future__ import annotations

import base64
import binascii
from typing import Any


def base64_text(value: Any) -> str | None:
    """A Secret `data` value decoded to text, or None when it is not base64 of UTF-8 text.

    Line wrapping inside the value is ignored, as the API server ignores it (`base64 -w 76` output)."""
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
