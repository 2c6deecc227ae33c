"""User configuration: dataclasses (shared contract) and the TOML loader."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bwtui.model import ProviderName

if TYPE_CHECKING:
    from bwtui.providers.base import ProviderSpec
from bwtui.netloc import is_loopback_host
from bwtui.paths import locate_config
from bwtui.keymap import BINDING_IDS, key_problem, split_keys
from bwtui.si import parse_si
from bwtui.themes import THEMES

HIVELOCITY_DEFAULT_ALLOWANCE_OUT_BYTES = 10 * 10**12  # 10 TB outbound per service per month
DEFAULT_OVERAGE_USD_PER_GB = 0.01


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Warning/critical levels; None means "not set"."""

    warn_in_bps: float | None = None
    crit_in_bps: float | None = None
    warn_out_bps: float | None = None
    crit_out_bps: float | None = None
    warn_projected_pct: float | None = None
    crit_projected_pct: float | None = None
    # The overage flag: with no percent thresholds set, a projected share of the allowance at
    # or above 90 % warns and 100 % is critical (bwtui.thresholds). False turns it off.
    flag_overage: bool | None = None


@dataclass(frozen=True, slots=True)
class ResourceOverride:
    """Per-resource settings that override the account's."""

    allowance_out_bytes: int | None = None
    thresholds: Thresholds | None = None
    billing_day: int | None = None  # this resource's period starts on this day (wins over all)
    overage_usd_per_gb: float | None = None
    committed_out_bps: float | None = None  # 95th-percentile billing: the committed out rate


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Polling knobs (seconds)."""

    altostrat_interval_s: float = 60.0
    request_deadline_s: float = 20.0
    max_concurrency: int = 4


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One provider account."""

    name: str
    provider: ProviderName
    base_url: str | None = None
    path_prefix: str | None = None
    interface: str = "public"
    billing_day: int = 1
    allowance_out_bytes: int | None = None
    # None: not set in the config; billing then takes the provider's stated or declared price.
    overage_usd_per_gb: float | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    resources: dict[str, ResourceOverride] = field(default_factory=dict)
    # The provider's own settings (declared by its ProviderSpec), as given in the config.
    settings: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``path`` is the file it came from (None: defaults only)."""

    path: Path | None
    accounts: list[AccountConfig] = field(default_factory=list)
    theme: str = "default"
    ascii: bool | str = "auto"  # True, False or "auto" (bwtui.terminal decides)
    poll: PollSettings = field(default_factory=PollSettings)
    # A collector to attach to (``bwtui serve``'s URL), "off" to never attach; None: find one.
    collector: str | None = None
    # [keys]: binding id -> comma-separated keys (bwtui.keymap), for App.set_keymap.
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


# --------------------------------------------------------------------------------------------
# Loader and validation
# --------------------------------------------------------------------------------------------

# The built-in providers (for help texts); the config accepts every installed provider.
PROVIDERS: tuple[str, ...] = ("hivelocity", "altostrat", "hetzner", "vultr")
HIVELOCITY_INTERFACES: tuple[str, ...] = ("eth0", "eth1", "public", "private", "all")
ACCOUNT_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TB_BYTES = 10**12

_TOP_KEYS = ("theme", "ascii", "poll", "account", "collector", "keys")
_POLL_KEYS = ("altostrat_interval_s", "request_deadline_s", "max_concurrency")
_ACCOUNT_KEYS = (
    "name",
    "provider",
    "base_url",
    "billing_day",
    "allowance_out_tb",
    "allowance_out_bytes",
    "overage_usd_per_gb",
    "thresholds",
    "resources",
)
_THRESHOLD_RATE_KEYS = ("warn_in", "crit_in", "warn_out", "crit_out")
_THRESHOLD_PCT_KEYS = ("warn_projected_pct", "crit_projected_pct")
_THRESHOLD_KEYS = _THRESHOLD_RATE_KEYS + _THRESHOLD_PCT_KEYS + ("flag_overage",)
_RESOURCE_KEYS = ("allowance_out_tb", "allowance_out_bytes", "thresholds", "billing_day", "overage_usd_per_gb",
                  "committed_out")
_SECRET_LIKE_KEYS = {"token", "api_key", "apikey", "key", "secret", "password", "api_token"}


class ConfigError(Exception):
    """A config problem a user can fix; ``str()`` is ``"<file>:<line>: <problem>. Fix: <fix>"``.

    ``line`` is omitted (``"<file>: ..."``) where it is not known. Never carries a secret.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Path | str | None = None,
        line: int | None = None,
        problem: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.file = str(file) if file is not None else None
        self.line = line
        self.problem = problem or message
        self.fix = fix

    @classmethod
    def at(cls, file: Path | str, line: int | None, problem: str, fix: str) -> ConfigError:
        """Build the error with the standard ``file:line: problem. Fix: fix`` text."""
        where = f"{file}:{line}" if line is not None else f"{file}"
        return cls(f"{where}: {problem}. Fix: {fix}", file=file, line=line, problem=problem, fix=fix)


def env_key(name: str) -> str:
    """The account name as used in ``BWTUI_TOKEN_<NAME>``: upper case, non-alphanumerics as ``_``."""
    return "".join(c.upper() if c.isascii() and c.isalnum() else "_" for c in name)


def account_name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid account name, or None when it is."""
    if not isinstance(name, str) or not name:
        return "an account name must be a non-empty string"
    if not ACCOUNT_NAME_RE.match(name):
        return f"account name {name!r} may only hold letters, digits, '-' and '_'"
    return None


def base_url_problem(url: str) -> tuple[str, str] | None:
    """(problem, fix) when ``url`` is not an acceptable provider base URL, else None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return (f"base_url {url!r} is not a valid URL", 'write it like "https://host/path"')
    if parts.scheme not in ("http", "https") or not host:
        return (f"base_url {url!r} is not an http(s) URL", 'write it like "https://host/path"')
    if parts.username is not None or parts.password is not None:
        return (
            "base_url must not contain a user name or password",
            "remove the 'user:password@' part; tokens come from BWTUI_TOKEN_<NAME> or `bwtui auth set`",
        )
    if parts.query or parts.fragment:
        return (f"base_url {url!r} must not have a query or fragment", "remove the part after '?' or '#'")
    if parts.scheme == "http" and not is_loopback_host(host):
        return (
            f"base_url {url!r} uses http:// to a non-loopback host, which would send the token in clear",
            "use https:// (http:// is only allowed for localhost, 127.0.0.0/8 and ::1)",
        )
    return None


def suggest(key: str, allowed: tuple[str, ...]) -> str:
    """A fix text for an unknown key: the closest allowed key, and the full list."""
    close = difflib.get_close_matches(key, allowed, n=1)
    listed = ", ".join(allowed)
    if close:
        return f"did you mean '{close[0]}'? (allowed here: {listed})"
    return f"remove it (allowed here: {listed})"


# --- locating lines in the source --------------------------------------------------------------

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_PART_RE = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _split_dotted(text: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[0] in "\"'" else p for p in _PART_RE.findall(text))


class _SourceMap:
    """Finds the line of a key or table in TOML text (best effort, for error messages)."""

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[tuple[object, ...], str], int] = {}
        self.tables: dict[tuple[object, ...], int] = {}
        self.headers: list[tuple[int, tuple[object, ...]]] = []
        current: tuple[object, ...] = ()
        account_index = -1
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER_RE.match(line)
            if header and not _KEY_RE.match(line):
                parts = _split_dotted(header.group(2))
                if header.group(1) == "[[" and parts == ("account",):
                    account_index += 1
                if parts and parts[0] == "account" and account_index >= 0:
                    current = ("account", account_index, *parts[1:])
                else:
                    current = parts
                self.tables.setdefault(current, number)
                self.headers.append((number, current))
                continue
            key = _KEY_RE.match(line)
            if key:
                parts = _split_dotted(key.group(1))
                if parts:
                    table = current + parts[:-1]
                    self.keys.setdefault((table, parts[-1]), number)
                    for depth in range(1, len(parts)):
                        self.tables.setdefault(current + parts[:depth], number)

    def line(self, table: tuple[object, ...], key: str | None = None) -> int | None:
        """The key's line, else the table's header line, else the nearest enclosing table's."""
        if key is not None and (table, key) in self.keys:
            return self.keys[(table, key)]
        probe = table
        while probe:
            if probe in self.tables:
                return self.tables[probe]
            probe = probe[:-1]
        return None


_TOML_POS_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END_RE = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_error(exc: tomllib.TOMLDecodeError, file: Path | str, text: str) -> ConfigError:
    message = str(exc)
    line: int | None = None
    column: int | None = None
    pos = _TOML_POS_RE.search(message)
    if pos:
        line, column = int(pos.group(1)), int(pos.group(2))
        message = message[: pos.start()]
    elif _TOML_END_RE.search(message):
        message = message[: _TOML_END_RE.search(message).start()]  # type: ignore[union-attr]
        line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    lowered = message.lower()
    if "overwrite" in lowered or "duplicate" in lowered:
        fix = "each key and [table] may appear only once per table: remove or rename the repeat"
    elif "invalid value" in lowered:
        fix = 'quote text values (name = "hv-prod"); numbers and true/false stay bare'
    elif "unterminated string" in lowered:
        fix = "close the string with the same quote it opens with"
    else:
        fix = "correct the TOML syntax there (see https://toml.io)"
    problem = f"invalid TOML: {message.strip()}"
    if column is not None:
        problem += f" (column {column})"
    return ConfigError.at(file, line, problem, fix)


# --- validation ---------------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Validator:
    def __init__(self, file: Path | str, text: str) -> None:
        self.file = file
        self.src = _SourceMap(text)

    def error(self, table: tuple[object, ...], key: str | None, problem: str, fix: str) -> ConfigError:
        return ConfigError.at(self.file, self.src.line(table, key), problem, fix)

    def check_keys(self, data: dict[str, Any], allowed: tuple[str, ...], table: tuple[object, ...], where: str) -> None:
        for key in data:
            if key in allowed:
                continue
            if key.lower() in _SECRET_LIKE_KEYS:
                raise self.error(
                    table,
                    key,
                    f"unknown key '{key}' {where}: tokens do not belong in the config file",
                    "remove it; set BWTUI_TOKEN_<NAME> or run `bwtui auth set NAME` instead",
                )
            raise self.error(table, key, f"unknown key '{key}' {where}", suggest(key, allowed))

    def table(self, value: object, table: tuple[object, ...], key: str, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(table, key, f"'{key}' must be a table ({what})", f"write it as [{what}]")
        return value

    def number(self, data: dict[str, Any], key: str, table: tuple[object, ...], *, minimum: float = 0.0,
               strict: bool = False, integer: bool = False) -> float | int | None:
        if key not in data:
            return None
        value = data[key]
        ok = _is_number(value) and (not integer or isinstance(value, int))
        if ok:
            ok = value > minimum if strict else value >= minimum
        if not ok:
            kind = "a whole number" if integer else "a number"
            bound = f"greater than {minimum:g}" if strict else f"at least {minimum:g}"
            raise self.error(table, key, f"'{key}' must be {kind} {bound}", f"set {key} = <{kind} {bound}>")
        return value

    # -- top level --

    def config(self, data: dict[str, Any], path: Path | None) -> Config:
        self.check_keys(data, _TOP_KEYS, (), "at the top level")
        theme = data.get("theme", "default")
        if theme not in THEMES:
            raise self.error((), "theme", f"theme {theme!r} is not known",
                             "use one of " + ", ".join(f'theme = "{name}"' for name in THEMES))
        ascii_ = data.get("ascii", "auto")
        if not isinstance(ascii_, bool) and ascii_ != "auto":
            raise self.error((), "ascii", "'ascii' must be true, false or \"auto\"",
                             'write ascii = true, ascii = false or ascii = "auto"')
        poll = self.poll(data["poll"]) if "poll" in data else PollSettings()
        collector = self.collector(data.get("collector"))
        raw_accounts = data.get("account", [])
        if isinstance(raw_accounts, dict) or not isinstance(raw_accounts, list):
            raise self.error(
                ("account",), None, "'account' must be an array of tables",
                "write each account as its own [[account]] section (double brackets)",
            )
        accounts: list[AccountConfig] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_accounts):
            account = self.account(raw, index)
            folded = env_key(account.name)
            if folded in seen:
                first = raw_accounts[seen[folded]]["name"]
                raise self.error(
                    ("account", index), "name",
                    f"duplicate account name {account.name!r} (also used by account #{seen[folded] + 1}, {first!r})",
                    "give every [[account]] a unique name (names that differ only in case or in "
                    "'-' versus '_' count as the same: they share one BWTUI_TOKEN_<NAME> variable)",
                )
            seen[folded] = index
            accounts.append(account)
        keys = self.keys(data["keys"]) if "keys" in data else {}
        return Config(path=path, accounts=accounts, theme=theme, ascii=ascii_, poll=poll,
                      collector=collector, keys=MappingProxyType(keys))

    def keys(self, value: object) -> dict[str, str]:
        """``[keys]``: binding id = "key" | "key,key" | ["key", ...] (see bwtui.keymap)."""
        table = ("keys",)
        data = self.table(value, (), "keys", "keys")
        out: dict[str, str] = {}
        for binding, raw in data.items():
            if binding not in BINDING_IDS:
                raise self.error(table, binding, f"unknown key binding id '{binding}' in [keys]",
                                 suggest(binding, tuple(BINDING_IDS)))
            if not isinstance(raw, str) and not (isinstance(raw, list) and raw
                                                 and all(isinstance(k, str) for k in raw)):
                raise self.error(table, binding, f"keys.{binding} must be a key name or a list of them",
                                 f'write {binding} = "ctrl+q" or {binding} = ["q", "ctrl+q"]')
            keys = split_keys(raw)
            for key in keys:
                problem = key_problem(key)
                if problem:
                    raise self.error(table, binding, f"[keys] {binding}: {problem}",
                                     'use a character ("q", "?"), a named key ("enter", "f1", '
                                     '"pageup", "question_mark") or modifiers ("ctrl+q")')
            out[binding] = ",".join(keys)
        return out

    def collector(self, value: object) -> str | None:
        """``collector = "http://127.0.0.1:9848"`` (``bwtui serve``'s URL) or ``"off"``."""
        if value is None:
            return None
        fix = 'write collector = "http://127.0.0.1:9848" (the URL `bwtui serve` prints) or "off"'
        if not isinstance(value, str) or not value.strip():
            raise self.error((), "collector", "'collector' must be a URL or \"off\"", fix)
        if value.strip().lower() == "off":
            return "off"
        bad = base_url_problem(value.strip())
        if bad:
            raise self.error((), "collector", bad[0].replace("base_url", "collector"), bad[1])
        return value.strip().rstrip("/")

    def poll(self, value: object) -> PollSettings:
        table = ("poll",)
        data = self.table(value, (), "poll", "poll")
        self.check_keys(data, _POLL_KEYS, table, "in [poll]")
        defaults = PollSettings()
        interval = self.number(data, "altostrat_interval_s", table, minimum=5.0)
        deadline = self.number(data, "request_deadline_s", table, minimum=0.0, strict=True)
        concurrency = self.number(data, "max_concurrency", table, minimum=1, integer=True)
        return PollSettings(
            altostrat_interval_s=float(interval) if interval is not None else defaults.altostrat_interval_s,
            request_deadline_s=float(deadline) if deadline is not None else defaults.request_deadline_s,
            max_concurrency=int(concurrency) if concurrency is not None else defaults.max_concurrency,
        )

    # -- accounts --

    def account(self, raw: object, index: int) -> AccountConfig:
        table: tuple[object, ...] = ("account", index)
        if not isinstance(raw, dict):
            raise self.error(table, None, f"account #{index + 1} is not a table", "write it as an [[account]] section")
        if "name" not in raw:
            raise self.error(table, None, f"account #{index + 1} has no name", 'add name = "my-account" under [[account]]')
        name = raw["name"]
        problem = account_name_problem(name)
        if problem:
            raise self.error(table, "name", problem, 'use letters, digits, "-" and "_" only, e.g. name = "hv-prod"')
        where = f"in account '{name}'"
        provider = raw.get("provider")
        spec = self.provider(provider, table, name)
        settings = self.provider_settings(raw, spec, provider, table, where)
        base_url = raw.get("base_url")
        if base_url is not None:
            if not isinstance(base_url, str):
                raise self.error(table, "base_url", f"'base_url' {where} must be a string", 'write base_url = "https://..."')
            bad = base_url_problem(base_url)
            if bad:
                raise self.error(table, "base_url", f"{bad[0]} ({where})", bad[1])
            base_url = base_url.rstrip("/")
        path_prefix = settings.get("path_prefix")
        if isinstance(path_prefix, str):
            path_prefix = path_prefix.rstrip("/")
            settings["path_prefix"] = path_prefix
        interface = settings.get("interface")
        billing_day = raw.get("billing_day", 1)
        if isinstance(billing_day, bool) or not isinstance(billing_day, int) or not 1 <= billing_day <= 31:
            raise self.error(table, "billing_day", f"billing_day {billing_day!r} {where} is not a day of the month",
                             "use a whole number from 1 to 31 (the day the billing period starts, UTC)")
        allowance = self.allowance(raw, table, where)
        overage = self.number(raw, "overage_usd_per_gb", table)
        thresholds = self.thresholds(raw.get("thresholds"), (*table, "thresholds"), table, where, Thresholds())
        resources = self.resources(raw.get("resources"), table, where, thresholds)
        return AccountConfig(
            name=name,
            provider=provider,
            base_url=base_url,
            path_prefix=path_prefix if isinstance(path_prefix, str) else None,
            interface=interface if isinstance(interface, str) else "public",
            billing_day=billing_day,
            allowance_out_bytes=allowance,
            overage_usd_per_gb=float(overage) if overage is not None else None,
            thresholds=thresholds,
            resources=resources,
            settings=MappingProxyType(settings),
        )

    def provider(self, provider: object, table: tuple[object, ...], name: str) -> ProviderSpec | None:
        """The account's provider through the registry; None when it is installed but broken
        (the account then reports the load failure; the config stays usable)."""
        from bwtui.providers.registry import registry

        known = registry().names()
        if not isinstance(provider, str) or provider not in known:
            got = "has no provider" if provider is None else f"has unknown provider {provider!r}"
            listed = ", ".join(f'"{n}"' for n in known)
            raise self.error(table, "provider", f"account '{name}' {got}",
                             f"set provider to one of the installed providers: {listed} "
                             "(`bwtui providers` lists them)")
        return registry().try_spec(provider)

    def provider_settings(self, raw: dict[str, Any], spec: ProviderSpec | None, provider: str,
                          table: tuple[object, ...], where: str) -> dict[str, object]:
        """The provider's declared settings, checked; any other unknown key is an error."""
        declared = {s.name: s for s in spec.settings} if spec is not None else {}
        settings: dict[str, object] = {}
        for key, value in raw.items():
            if key in _ACCOUNT_KEYS:
                continue
            setting = declared.get(key)
            if setting is None:
                if spec is None and key.lower() not in _SECRET_LIKE_KEYS:
                    settings[key] = value  # the provider failed to load: its keys cannot be checked
                    continue
                owners = _providers_declaring(key)
                if owners and key.lower() not in _SECRET_LIKE_KEYS:
                    raise self.error(table, key, f"'{key}' only applies to {' and '.join(owners)} accounts ({where})",
                                     "remove it")
                self.check_keys({key: value}, _ACCOUNT_KEYS + tuple(declared), table, where)
                continue
            problem = setting.problem(value)
            if problem:
                fix = f"use one of: {', '.join(str(c) for c in setting.choices)}" if setting.choices else (
                    f"{setting.name}: {setting.help}" if setting.help else "correct the value")
                raise self.error(table, key, f"{problem} ({where})", fix)
            settings[key] = value
        return settings


    def allowance(self, data: dict[str, Any], table: tuple[object, ...], where: str) -> int | None:
        if "allowance_out_tb" in data and "allowance_out_bytes" in data:
            raise self.error(table, "allowance_out_bytes", f"both allowance_out_tb and allowance_out_bytes are set {where}",
                             "keep only one of them")
        tb = self.number(data, "allowance_out_tb", table)
        if tb is not None:
            return int(round(tb * TB_BYTES))
        raw_bytes = self.number(data, "allowance_out_bytes", table, integer=True)
        return int(raw_bytes) if raw_bytes is not None else None

    def thresholds(self, value: object, table: tuple[object, ...], parent: tuple[object, ...], where: str,
                   base: Thresholds) -> Thresholds:
        if value is None:
            return base
        data = self.table(value, parent, "thresholds", "account.thresholds")
        self.check_keys(data, _THRESHOLD_KEYS, table, f"in the thresholds {where}")
        values: dict[str, float | None] = {}
        for key in _THRESHOLD_RATE_KEYS:
            if key not in data:
                continue
            raw = data[key]
            if _is_number(raw) and raw >= 0:
                values[key + "_bps"] = float(raw)
                continue
            try:
                if not isinstance(raw, str):
                    raise ValueError("not a string")
                values[key + "_bps"] = parse_si(raw)
            except ValueError:
                raise self.error(table, key, f"threshold {key} = {raw!r} {where} is not a rate",
                                 f'write a rate in bits/s with an optional k, M, G or T suffix, e.g. {key} = "500M"') from None
        for key in _THRESHOLD_PCT_KEYS:
            pct = self.number(data, key, table, strict=True)
            if pct is not None:
                values[key] = float(pct)
        if "flag_overage" in data:
            if not isinstance(data["flag_overage"], bool):
                raise self.error(table, "flag_overage", f"'flag_overage' {where} must be true or false",
                                 "write flag_overage = false to turn the default overage flag off")
            values["flag_overage"] = data["flag_overage"]
        merged = replace(base, **values)
        for warn, crit, label in (("warn_in_bps", "crit_in_bps", "in"), ("warn_out_bps", "crit_out_bps", "out"),
                                  ("warn_projected_pct", "crit_projected_pct", "projected_pct")):
            w, c = getattr(merged, warn), getattr(merged, crit)
            if w is not None and c is not None and w > c:
                warn_key, crit_key = warn.removesuffix("_bps"), crit.removesuffix("_bps")
                key = warn_key if warn_key in data else crit_key
                raise self.error(table, key, f"warning threshold for {label} is above the critical one {where}",
                                 f"make warn_{label} at most crit_{label}")
        return merged

    def rate(self, data: dict[str, Any], key: str, table: tuple[object, ...], where: str) -> float | None:
        """A rate in bits/s: a number, or a string with an SI suffix ("500M")."""
        if key not in data:
            return None
        raw = data[key]
        if _is_number(raw) and raw >= 0:
            return float(raw)
        try:
            if not isinstance(raw, str):
                raise ValueError("not a string")
            return parse_si(raw)
        except ValueError:
            raise self.error(table, key, f"{key} = {raw!r} {where} is not a rate",
                             f'write a rate in bits/s with an optional k, M, G or T suffix, e.g. {key} = "500M"') from None

    def resources(self, value: object, table: tuple[object, ...], where: str,
                  account_thresholds: Thresholds) -> dict[str, ResourceOverride]:
        if value is None:
            return {}
        data = self.table(value, table, "resources", 'account.resources."<id>"')
        overrides: dict[str, ResourceOverride] = {}
        for resource_id, raw in data.items():
            rtable = (*table, "resources", resource_id)
            rwhere = f"for resource {resource_id!r} {where}"
            if not isinstance(raw, dict):
                raise self.error(rtable, None, f"resource override {rwhere} must be a table",
                                 f'write it as [account.resources."{resource_id}"]')
            self.check_keys(raw, _RESOURCE_KEYS, rtable, rwhere)
            allowance = self.allowance(raw, rtable, rwhere)
            thresholds = None
            if "thresholds" in raw:
                thresholds = self.thresholds(raw["thresholds"], (*rtable, "thresholds"), rtable, rwhere, account_thresholds)
            billing_day = raw.get("billing_day")
            if billing_day is not None and (isinstance(billing_day, bool) or not isinstance(billing_day, int)
                                            or not 1 <= billing_day <= 31):
                raise self.error(rtable, "billing_day", f"billing_day {billing_day!r} {rwhere} is not a day of the month",
                                 "use a whole number from 1 to 31 (the day this resource's billing period starts, UTC)")
            price = self.number(raw, "overage_usd_per_gb", rtable)
            overrides[str(resource_id)] = ResourceOverride(
                allowance_out_bytes=allowance,
                thresholds=thresholds,
                billing_day=billing_day,
                overage_usd_per_gb=float(price) if price is not None else None,
                committed_out_bps=self.rate(raw, "committed_out", rtable, rwhere),
            )
        return overrides


def _providers_declaring(key: str) -> list[str]:
    """Installed providers that declare ``key`` as a setting (loads their specs: error path only)."""
    from bwtui.providers.registry import registry

    reg = registry()
    return [name for name in reg.names() if (spec := reg.try_spec(name)) is not None and spec.setting(key)]


def parse_config_text(text: str, path: Path | str | None = None) -> Config:
    """Parse and validate config text; ``path`` names the file in errors (and in ``Config.path``)."""
    file = path if path is not None else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, file, text) from None
    return _Validator(file, text).config(data, Path(path) if path is not None else None)


def load_config(path: Path | str | None = None) -> Config:
    """Load the config: ``path`` (``--config``), else ``$BWTUI_CONFIG``, else the default file.

    A missing default file is a first run (no accounts, ``Config.path`` None); a missing file named
    explicitly is a ConfigError.
    """
    location = locate_config(path)
    file = location.path
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        if not location.explicit:
            return Config(path=None)
        raise ConfigError.at(file, None, f"config file not found (named by {location.source})",
                             "correct the path, or create it with `bwtui account add NAME --provider PROVIDER`") from None
    except IsADirectoryError:
        raise ConfigError.at(file, None, "this is a directory, not a config file",
                             f"point at the file inside it, e.g. {file / 'config.toml'}") from None
    except OSError as exc:
        raise ConfigError.at(file, None, f"cannot read the config file ({exc.strerror or exc})",
                             "check the file's permissions") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError.at(file, line, "the config file is not valid UTF-8", "save it as UTF-8 text") from None
    return parse_config_text(text, file)
