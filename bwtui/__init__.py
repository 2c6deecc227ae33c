"""bwtui: a terminal bandwidth monitor for hosted servers and VPN instances."""

import sys as _sys

__version__ = "0.1.0"

# httpx imports its own command-line client (``httpx._main``) when click is installed (it is,
# through uvicorn), and that pulls in click, rich's markdown and pygments: about a tenth of a
# `bwtui status` run. bwtui never uses httpx's CLI, so the import is marked as unavailable
# (httpx then keeps a stub ``httpx.main``). Only when httpx is not loaded yet: never undone.
if "httpx" not in _sys.modules:
    _sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
