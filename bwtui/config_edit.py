"""Edits to the user's config file that keep their comments and layout, written atomically.

Every edit is validated with the same loader as a normal start (``parse_config_text``) before
anything touches the disk, and a write is a temp file in the same directory + ``os.replace``, so a
failed or interrupted edit leaves the old file as it was.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bwtui.config import Config, ConfigError, _SourceMap, parse_config_text

_BLANK = re.compile(r"^\s*$")
_COMMENT = re.compile(r"^\s*#")


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same dir, fsync, os.replace).

    ``mode`` None keeps an existing file's mode (0644 minus umask for a new file). A symlink is
    followed, so dotfile managers' links keep working.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode & 0o777)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # exact mode, whatever the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError:
        raise ConfigError.at(path, None, "the config file is not valid UTF-8", "save it as UTF-8 text") from None
    except OSError as exc:
        raise ConfigError.at(path, None, f"cannot read the config file ({exc.strerror or exc})",
                             "check the file's permissions") from None


def _account_block(fields: Mapping[str, Any]) -> str:
    import tomlkit

    table = tomlkit.table()
    for key, value in fields.items():
        if value is not None:
            table.add(key, value)
    aot = tomlkit.aot()
    aot.append(table)
    doc = tomlkit.document()
    doc.append("account", aot)
    return tomlkit.dumps(doc)


def _accounts(text: str) -> list[dict[str, Any]]:
    accounts = tomllib.loads(text).get("account", [])
    return accounts if isinstance(accounts, list) else []


def _without_accounts(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "account"}


def add_account(path: Path, fields: Mapping[str, Any]) -> Config:
    """Append an ``[[account]]`` with ``fields`` (None values skipped); returns the new Config.

    Raises ConfigError (nothing written) when the current file is invalid, the name is taken, or
    the result would not validate.
    """
    path = Path(path)
    old = _read_text(path)
    current = parse_config_text(old, path)
    name = str(fields.get("name", ""))
    for account in current.accounts:
        if account.name == name:
            raise ConfigError.at(path, _SourceMap(old).line(("account", current.accounts.index(account)), "name"),
                                 f"account {name!r} already exists",
                                 f"choose another name, or remove it first with `bwtui account remove {name}`")
    block = _account_block(fields)
    base = old if not old or old.endswith("\n") else old + "\n"
    separator = "\n" if base.strip() and not base.endswith("\n\n") else ""
    new = base + separator + block
    if not _appended_cleanly(old, new, dict(fields)):
        new = _tomlkit_append(old, fields)
    config = parse_config_text(new, path)
    atomic_write_bytes(path, new.encode("utf-8"))
    return config


def _appended_cleanly(old: str, new: str, fields: dict[str, Any]) -> bool:
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return False
    expected = {k: v for k, v in fields.items() if v is not None}
    return _without_accounts(before) == _without_accounts(after) and _accounts(new) == [*_accounts(old), expected]


def _tomlkit_append(old: str, fields: Mapping[str, Any]) -> str:
    import tomlkit

    doc = tomlkit.parse(old)
    table = tomlkit.table()
    for key, value in fields.items():
        if value is not None:
            table.add(key, value)
    if "account" in doc:
        doc["account"].append(table)
    else:
        aot = tomlkit.aot()
        aot.append(table)
        doc.append("account", aot)
    return tomlkit.dumps(doc)


def remove_account(path: Path, name: str) -> Config:
    """Remove the ``[[account]]`` named ``name`` with its sub-tables and attached comments.

    Other comments stay. Raises ConfigError (nothing written) if it is absent or the file is invalid.
    """
    path = Path(path)
    old = _read_text(path)
    current = parse_config_text(old, path)
    names = [a.name for a in current.accounts]
    if name not in names:
        known = ", ".join(names) or "none"
        raise ConfigError.at(path, None, f"no account named {name!r} (accounts: {known})",
                             "check the name with `bwtui account list`")
    index = names.index(name)
    new = _remove_block(old, index)
    if new is None or not _removed_cleanly(old, new, index):
        new = _tomlkit_remove(old, index)
        if not _removed_cleanly(old, new, index):
            raise ConfigError.at(path, None, f"could not remove account {name!r} without disturbing the file",
                                 "delete its [[account]] section by hand")
    config = parse_config_text(new, path)
    atomic_write_bytes(path, new.encode("utf-8"))
    return config


def _removed_cleanly(old: str, new: str, index: int) -> bool:
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return False
    expected = [a for i, a in enumerate(_accounts(old)) if i != index]
    return _without_accounts(before) == _without_accounts(after) and _accounts(new) == expected


def _remove_block(text: str, index: int) -> str | None:
    """Cut account ``index`` out of the text: its header, body, sub-tables, and the comments that
    belong to it (directly above its header, or directly after its last line). None if not found."""
    lines = text.splitlines(keepends=True)
    headers = _SourceMap(text).headers  # (1-based line, table path)
    starts = [line for line, table in headers if table == ("account", index)]
    if not starts:
        return None
    start = starts[0] - 1
    end = len(lines)
    for line, table in headers:
        if line - 1 > start and table[:2] != ("account", index):
            end = line - 1
            break
    # Comments directly above the header (no blank line between) belong to this account, unless
    # they open the file (then they describe the file).
    above = start
    while above > 0 and _COMMENT.match(lines[above - 1]):
        above -= 1
    if above > 0:
        start = above
    # After the last content line: the comment paragraph touching it is ours, unless it also
    # touches the next header (then it introduces that one). Later paragraphs stay.
    last = end - 1
    while last > start and (_BLANK.match(lines[last]) or _COMMENT.match(lines[last])):
        last -= 1
    cut = last + 1
    while cut < end and _COMMENT.match(lines[cut]):
        cut += 1
    if cut == end and end < len(lines) and cut > last + 1:
        cut = last + 1
    rest = lines[cut:end]
    if any(_COMMENT.match(line) for line in rest):
        while cut < end and _BLANK.match(lines[cut]):
            cut += 1  # drop the blank run, keep the comments after it
    else:
        cut = end
    kept = lines[:start]
    if kept and not _BLANK.match(kept[-1]) and cut < len(lines) and cut > 0 and _BLANK.match(lines[cut - 1]):
        kept.append("\n")  # keep the paragraph break the removed block sat in
    return "".join(kept + lines[cut:])


def _tomlkit_remove(text: str, index: int) -> str:
    import tomlkit

    doc = tomlkit.parse(text)
    del doc["account"][index]
    if len(doc["account"]) == 0:
        del doc["account"]
    return tomlkit.dumps(doc)
