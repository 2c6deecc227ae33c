"""Finding providers: the ``bwtui.providers`` entry-point group, built-in ones included.

Every provider, bwtui's own too, is an entry point ``<name> = "<module>:<ProviderSpec object>"``
in the group :data:`GROUP`. Names are known without importing anything (config validation is
cheap); a provider's module is imported the first time it is needed, and a module that fails to
import (or gives a malformed spec) becomes a :class:`ProviderLoadError` for the accounts that use
it, never a crash. The built-in providers are also known from :data:`BUILTIN` so that a checkout
whose installed metadata predates an entry point still finds them.

``importlib.metadata`` (which pulls in ``email``, ``zipfile`` and ``csv``, then reads every
installed distribution's entry points and parses a METADATA file) is used only when some other
distribution declares the group: a look at the ``entry_points.txt`` files on ``sys.path``
(:func:`scan_for_plugins`) says whether one might; when none does, bwtui's own table is the
whole answer. That is a tenth of the monitor's start-up imports saved for every user without a
plug-in.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib import metadata

from bwtui.providers.base import ProviderSpec, ProviderSpecError, check_spec

GROUP = "bwtui.providers"
BUILTIN: dict[str, str] = {
    "hivelocity": "bwtui.providers.hivelocity:SPEC",
    "altostrat": "bwtui.providers.altostrat:SPEC",
    "hetzner": "bwtui.providers.hetzner:SPEC",
    "vultr": "bwtui.providers.vultr:SPEC",
}
ERROR_MAX_CHARS = 300


class UnknownProvider(ValueError):
    """No installed provider has this name."""

    def __init__(self, name: str, installed: list[str]) -> None:
        self.name = name
        self.installed = installed
        listed = ", ".join(installed) if installed else "none"
        super().__init__(f"unknown provider {name!r}; installed providers: {listed}")


class ProviderLoadError(ValueError):
    """The provider is installed but could not be loaded; ``reason`` says why (no traceback)."""

    def __init__(self, name: str, reason: str, distribution: str | None = None) -> None:
        self.name = name
        self.reason = reason
        self.distribution = distribution
        where = f" (from {distribution})" if distribution else ""
        super().__init__(
            f"provider {name!r}{where} could not be loaded: {reason}. Fix: reinstall or upgrade the "
            "package that provides it; `bwtui providers` lists what is installed"
        )


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One installed provider as the entry points name it (nothing imported yet)."""

    name: str
    target: str  # "module:attribute"
    distribution: str | None
    version: str | None
    builtin: bool


def _described(dist: Any, seen: dict[int, tuple[str | None, str | None]]) -> tuple[str | None, str | None]:
    """A distribution's name and version, its metadata parsed once (``dist.metadata`` parses
    the whole METADATA file, long description included, on every access: twice per entry point
    was a quarter of the demo's start-up outside the UI)."""
    if dist is None:
        return None, None
    if id(dist) not in seen:
        meta = dist.metadata
        seen[id(dist)] = (meta["Name"], meta["Version"])
    return seen[id(dist)]


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


def _bwtui_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("bwtui")
    except metadata.PackageNotFoundError:
        from bwtui import __version__

        return __version__


_INFO_SUFFIXES = (".dist-info", ".egg-info")


def _declares_group(info_dir: str) -> bool:
    """Whether a distribution's ``entry_points.txt`` has a ``[bwtui.providers]`` section."""
    try:
        with open(os.path.join(info_dir, "entry_points.txt"), encoding="utf-8") as file:
            return any(line.strip() == f"[{GROUP}]" for line in file)
    except OSError:  # no entry points (most distributions), or unreadable: nothing declared
        return False


def scan_for_plugins(path: list[str] | None = None) -> tuple[bool, str | None]:
    """Whether a distribution other than bwtui may declare the ``bwtui.providers`` group, and
    bwtui's installed version (from its ``bwtui-<version>.dist-info`` folder, else None).

    Reads only the ``entry_points.txt`` files of the ``*.dist-info``/``*.egg-info`` folders in
    the plain directories of ``path`` (``sys.path``): where ``importlib.metadata`` finds what
    pip installed. Anything it cannot look into that way (a zip file on the path, a finder on
    ``sys.meta_path`` with its own distributions) counts as a plug-in, so the full discovery runs.
    """
    maybe = any(hasattr(finder, "find_distributions") and not _reads_sys_path(finder)
                for finder in sys.meta_path)
    version: str | None = None
    for entry in sys.path if path is None else path:
        try:
            names = os.listdir(entry or ".")
        except NotADirectoryError:
            maybe = True  # a zip file (an egg, a zipapp): only importlib.metadata reads it
            continue
        except OSError:
            continue  # missing or unreadable: importlib.metadata finds nothing there either
        for name in names:
            if not name.endswith(_INFO_SUFFIXES):
                continue
            dist, _, rest = name.rpartition(".")[0].partition("-")
            if dist.lower() == "bwtui":
                if version is None and name.endswith(".dist-info") and rest:
                    version = rest  # the first one on the path is the one imported
            elif not maybe and _declares_group(os.path.join(entry or ".", name)):
                maybe = True
    return maybe, version


def _reads_sys_path(finder: object) -> bool:
    """Python's own path finder, or the ``importlib_metadata`` backport's (which keyring loads):
    both find distributions only in the ``sys.path`` folders this scan reads."""
    from importlib.machinery import PathFinder

    kind = finder if isinstance(finder, type) else type(finder)
    return finder is PathFinder or (kind.__module__, kind.__name__) == ("importlib_metadata",
                                                                         "MetadataPathFinder")


class Registry:
    """The installed providers; thread-safe, each spec loaded once."""

    def __init__(self, entries: list[ProviderEntry]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._specs: dict[str, ProviderSpec] = {}
        self._failures: dict[str, ProviderLoadError] = {}
        self._lock = threading.Lock()

    @classmethod
    def discover(cls) -> Registry:
        """Read the entry-point group (and the built-in table for what it lacks).

        Without a plug-in installed (:func:`scan_for_plugins`), the built-in table is the
        group: bwtui's own entry points name exactly these."""
        entries: dict[str, ProviderEntry] = {}
        found: list[metadata.EntryPoint] = []
        plugins, own_version = scan_for_plugins()
        if plugins:
            from importlib import metadata

            try:
                found = list(metadata.entry_points(group=GROUP))
            except Exception:  # noqa: BLE001 - broken metadata of some unrelated package
                found = []
        described: dict[int, tuple[str | None, str | None]] = {}
        for point in found:
            dist_name, version = _described(getattr(point, "dist", None), described)
            if point.name in entries:
                continue  # the first installed wins; a duplicate never replaces it silently
            entries[point.name] = ProviderEntry(
                point.name, point.value, dist_name, version, point.value == BUILTIN.get(point.name)
            )
        for name, target in BUILTIN.items():
            if name not in entries:
                version = own_version or _bwtui_version()
                entries[name] = ProviderEntry(name, target, "bwtui", version, True)
        order = list(BUILTIN)
        return cls(sorted(
            entries.values(),
            key=lambda e: (not e.builtin, order.index(e.name) if e.name in order else 0, e.name),
        ))

    def names(self) -> list[str]:
        """Every installed provider name (built-in first), without importing any of them."""
        return list(self._entries)

    def entries(self) -> list[ProviderEntry]:
        return list(self._entries.values())

    def entry(self, name: str) -> ProviderEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownProvider(name, self.names()) from None

    def spec(self, name: str) -> ProviderSpec:
        """The provider's declaration; UnknownProvider or ProviderLoadError (both ValueError)."""
        entry = self.entry(name)
        with self._lock:
            if name in self._specs:
                return self._specs[name]
            if name in self._failures:
                raise self._failures[name]
            try:
                spec = check_spec(_load(entry.target), expected_name=name)
            except ProviderSpecError as exc:
                error = ProviderLoadError(name, _cut(str(exc)), entry.distribution)
            except Exception as exc:  # noqa: BLE001 - any import-time failure of a plug-in
                error = ProviderLoadError(name, _cut(f"{type(exc).__name__}: {exc}"), entry.distribution)
            else:
                self._specs[name] = spec
                return spec
            self._failures[name] = error
            raise error

    def try_spec(self, name: str) -> ProviderSpec | None:
        """The spec, or None when the provider is unknown or failed to load."""
        try:
            return self.spec(name)
        except ValueError:
            return None

    def failure(self, name: str) -> ProviderLoadError | None:
        """Why the provider could not be loaded (after a load was tried), else None."""
        self.try_spec(name)
        return self._failures.get(name)


def _load(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    obj: Any = importlib.import_module(module_name.strip())
    for part in attribute.strip().split("."):
        if part:
            obj = getattr(obj, part)
    if callable(obj) and not isinstance(obj, ProviderSpec):
        obj = obj()  # a factory function returning the spec is accepted too
    return obj


_registry: Registry | None = None
_registry_lock = threading.Lock()


def registry() -> Registry:
    """The process-wide registry (discovered on first use)."""
    global _registry
    with _registry_lock:
        if _registry is None:
            _registry = Registry.discover()
        return _registry


def reset_registry() -> None:
    """Forget what was discovered (after installing a plug-in at run time; tests)."""
    global _registry
    with _registry_lock:
        _registry = None
