"""Where the web app listens and whom it answers: addresses, ``Host`` headers and the URL to open.

A server answers only to the host names it was started for (loopback, the
address it binds to, and those given with ``--allowed-host``), so that a
page on another site cannot read the API through DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import re

from ..core._validation import short
from ..errors import OptionError

#: the names a browser may use to reach a server on this machine; others are refused (400), so that
#: a page on another site cannot read the API through DNS rebinding
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_name(header: str) -> str:
    """The host of a ``Host`` header, lower case, without its port; an IPv6 literal without brackets.

    Parameters
    ----------
    header : str
        ``127.0.0.1:8000``, ``[::1]:8000``, ``Digits.Lan``.

    Returns
    -------
    str
        ``127.0.0.1``, ``::1``, ``digits.lan``; an IP address in its standard form.
    """
    host = header.strip().lower()
    if host.startswith("["):
        host = host[1:host.index("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.rstrip(".")


def check_address(host: str) -> str:
    """A ``--host`` to listen on: an IPv4 or IPv6 address, or a host name; anything else is refused by name.

    Parameters
    ----------
    host : str

    Returns
    -------
    str
        The address, IPv6 in its standard form, brackets removed.
    """
    text = host.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(bare).compressed
    except ValueError:
        pass
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    if re.fullmatch(rf"{label}(\.{label})*\.?", bare.lower()) and not re.fullmatch(r"[0-9.]+", bare):
        return bare
    raise OptionError(f"--host must be an IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1) or a host name; received "
                      f"{short(host)}")


def url_for(host: str, port: int) -> str:
    """The address to open in a browser: ``http://[::1]:8000/``; a wildcard bind is reached through loopback.

    Parameters
    ----------
    host : str
    port : int

    Returns
    -------
    str
    """
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def allowed_hosts_for(host: str, extra: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """The host names a server bound to ``host`` answers to: loopback, ``host`` itself, and ``extra``.

    Parameters
    ----------
    host : str
        The address the server binds to.
    extra : sequence of str
        More names (``--allowed-host``); ``"*"`` allows any.

    Returns
    -------
    tuple of str
    """
    names = list(LOOPBACK_HOSTS)
    if host not in ("0.0.0.0", "::", ""):
        names.append(host)
    return tuple(dict.fromkeys([*names, *extra]))
