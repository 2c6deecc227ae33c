"""Finding the collector: the config's ``collector = "..."``, ``--collector``, or a discovery file.

A running ``bwtui serve`` writes ``collector.json`` (its URL, pid and feed version: never a
token) into its runtime directory and removes it when it stops:

- ``$RUNTIME_DIRECTORY`` when systemd gives one (``RuntimeDirectory=bwtui``: ``/run/bwtui``);
- else ``$XDG_RUNTIME_DIR/bwtui`` (``/run/user/<uid>/bwtui``);
- else ``<state dir>/run``.

Viewers look in their own runtime directory, then in ``/run/bwtui`` (a system service). A file
whose process is gone is ignored. ``collector = "off"`` (or ``--collector off``) never attaches.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bwtui.collector.protocol import FEED_VERSION
from bwtui.exits import UsageError
from bwtui.netloc import is_loopback_host
from bwtui.paths import APP_NAME, state_dir

DISCOVERY_FILE = "collector.json"
SYSTEM_RUNTIME_DIR = Path("/run") / APP_NAME
COLLECTOR_ENV_VAR = "BWTUI_COLLECTOR"
OFF = ("off", "none", "no", "false")


@dataclass(frozen=True, slots=True)
class CollectorRef:
    """A collector to attach to, and how it was found (``config``, ``--collector``,
    ``$BWTUI_COLLECTOR`` or the discovery file's path)."""

    url: str
    found_in: str


def runtime_dir() -> Path:
    """Where this process writes its discovery file (see the module docstring)."""
    systemd = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0].strip()
    if systemd and os.path.isabs(systemd):
        return Path(systemd)
    xdg = os.environ.get("XDG_RUNTIME_DIR", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    return state_dir() / "run"


def discovery_paths() -> list[Path]:
    """Where viewers look, in order (no duplicates)."""
    paths: list[Path] = []
    for directory in (runtime_dir(), SYSTEM_RUNTIME_DIR):
        path = directory / DISCOVERY_FILE
        if path not in paths:
            paths.append(path)
    return paths


def write_discovery(url: str, *, token_required: bool, directory: Path | None = None) -> Path:
    """Write this collector's discovery file (mode 0644: it holds no secret); returns its path."""
    folder = directory if directory is not None else runtime_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o755)
    path = folder / DISCOVERY_FILE
    body = json.dumps({"url": url, "pid": os.getpid(), "feed_version": FEED_VERSION,
                       "token_required": token_required}) + "\n"
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(body, encoding="utf-8")
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return path


def remove_discovery(path: Path) -> None:
    """Remove our discovery file (only if it is still ours)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def read_discovery(path: Path) -> str | None:
    """The URL in a discovery file whose collector process still runs, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return None
    pid = data.get("pid")
    if isinstance(pid, int) and not _alive(pid):
        return None
    return data["url"] if url_problem(data["url"]) is None else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process (a system service): it exists
        return True
    except OSError:
        return False
    return True


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot name a collector, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{url!r} is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL"
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"{url!r} must be just scheme://host:port"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return (f"{url!r} uses http:// to another host, which would send the collector token in "
                "clear; use https:// (through a TLS proxy) or a loopback address")
    return None


def find_collector(*, option: str | None = None, configured: str | None = None) -> CollectorRef | None:
    """The collector to attach to: ``--collector``, ``$BWTUI_COLLECTOR``, the config's
    ``collector``, else a live discovery file; None when none (or when one of them says off).
    Raises UsageError for a malformed URL given explicitly."""
    for value, where in ((option, "--collector"), (os.environ.get(COLLECTOR_ENV_VAR), f"${COLLECTOR_ENV_VAR}"),
                         (configured, "config")):
        if value is None or not value.strip():
            continue
        if value.strip().lower() in OFF:
            return None
        problem = url_problem(value.strip())
        if problem is not None:
            raise UsageError(f"{where}: {problem}")
        return CollectorRef(value.strip().rstrip("/"), where)
    for path in discovery_paths():
        url = read_discovery(path)
        if url is not None:
            return CollectorRef(url.rstrip("/"), str(path))
    return None
