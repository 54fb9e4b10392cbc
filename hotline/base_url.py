"""Check a public base URL's form: scheme://host[:port] alone, as Twilio is told to sign it."""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit


def base_url_problem(url: str) -> str | None:
    """Return what is wrong with `url` as a public base URL, or None when nothing is."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        return "is not a URL"
    if parts.scheme not in ("https", "http"):
        return "must start with https:// (or http:// locally)"
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return "must name a host (and no user or password)"
    if parts.path not in ("", "/") or parts.query or parts.fragment or url.endswith(("?", "#")):
        return "must be scheme://host alone, with no path, query or fragment"
    if not parts.hostname.isascii():
        # Twilio reaches, and signs, the name's xn-- form: the one it was given would never match.
        return f"has a host name that is not ASCII ({parts.hostname!r}): write its xn-- form"
    if not _is_host_name(parts.hostname):
        # Twilio signs the URL it was given: a host with a space or a ; would fail every webhook.
        return f"has a host name with a character no host name holds ({parts.hostname!r})"
    if not _has_valid_port(parts):
        return "has a port that is not a number from 1 to 65535"
    return None


def _is_host_name(host: str) -> bool:
    """Tell whether `host` is an IP address or dotted labels of letters, digits, - and _."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        labels = host.removesuffix(".").split(".")
        return all(label and all(c.isalnum() or c in "-_" for c in label) for label in labels)


def _has_valid_port(parts: SplitResult) -> bool:
    """Tell whether the URL has no port, or a port from 1 to 65535 (never an empty one)."""
    try:
        port = parts.port  # urlsplit checks the port only when asked
    except ValueError:
        return False
    if port is None:
        return not parts.netloc.endswith(":")
    return port >= 1
