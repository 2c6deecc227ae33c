"""Who may reach a collector, and how viewers find it: listen addresses, tokens, discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bwtui.collector.access import Access, access_for, parse_listen, read_token
from bwtui.collector.discovery import (
    find_collector,
    read_discovery,
    remove_discovery,
    runtime_dir,
    write_discovery,
)
from bwtui.config import ConfigError, parse_config_text
from bwtui.exits import UsageError

TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(("text", "host", "port", "loopback"), [
    ("127.0.0.1:9848", "127.0.0.1", 9848, True),
    (":9000", "127.0.0.1", 9000, True),
    ("localhost", "localhost", 9848, True),
    ("[::1]:9848", "::1", 9848, True),
    ("0.0.0.0:9848", "0.0.0.0", 9848, False),
    ("10.1.2.3:80", "10.1.2.3", 80, False),
])
def test_listen_addresses_parse(text: str, host: str, port: int, loopback: bool) -> None:
    listen = parse_listen(text)
    assert (listen.host, listen.port, listen.loopback) == (host, port, loopback)


@pytest.mark.parametrize("text", ["::1:9848", "host:port", "host:70000", "[::1"])
def test_a_bad_listen_address_says_how_to_write_it(text: str) -> None:
    with pytest.raises(UsageError, match="--listen"):
        parse_listen(text)


def test_a_wildcard_listener_is_reached_on_loopback_from_this_host() -> None:
    assert parse_listen("0.0.0.0:9848").url() == "http://127.0.0.1:9848"
    assert parse_listen("[::]:9848").url(1234) == "http://[::1]:1234"


def test_listening_beyond_loopback_needs_the_flag_and_a_token() -> None:
    remote = parse_listen("0.0.0.0:9848")
    with pytest.raises(UsageError, match="--allow-remote"):
        access_for(remote, allow_remote=False, token=TOKEN)
    with pytest.raises(UsageError, match="needs a token"):
        access_for(remote, allow_remote=True, token=None)
    assert access_for(remote, allow_remote=True, token=TOKEN).token == TOKEN
    assert access_for(parse_listen("127.0.0.1:1"), allow_remote=False, token=None).token is None


def test_the_token_guards_everything_but_healthz_and_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    access = Access(TOKEN)
    assert access.allows("/healthz", None)
    assert not access.allows("/metrics", None)
    assert not access.allows("/metrics", "Bearer wrong")
    assert not access.allows("/metrics", f"Basic {TOKEN}")
    compared: list[tuple[bytes, bytes]] = []
    import hmac

    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert access.allows("/api/v1/feed", f"Bearer {TOKEN}")
    assert compared == [(TOKEN.encode(), TOKEN.encode())]
    assert TOKEN not in repr(access)
    assert Access(None).allows("/metrics", None)


def test_tokens_come_from_a_file_or_the_environment_and_short_ones_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BWTUI_COLLECTOR_TOKEN", raising=False)
    assert read_token(None) is None
    monkeypatch.setenv("BWTUI_COLLECTOR_TOKEN", TOKEN)
    assert read_token(None) == TOKEN
    path = tmp_path / "token"
    path.write_text("short\n")
    with pytest.raises(UsageError, match="openssl rand"):
        read_token(str(path))
    path.write_text(TOKEN + "\n")
    assert read_token(str(path)) == TOKEN
    with pytest.raises(UsageError, match="--token-file"):
        read_token(str(tmp_path / "missing"))


def test_the_discovery_file_names_the_url_and_pid_never_a_token(tmp_path: Path) -> None:
    path = write_discovery("http://127.0.0.1:9848", token_required=True, directory=tmp_path)
    data = json.loads(path.read_text())
    assert data == {"url": "http://127.0.0.1:9848", "pid": os.getpid(), "feed_version": 1,
                    "token_required": True}
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert read_discovery(path) == "http://127.0.0.1:9848"
    remove_discovery(path)
    assert not path.exists()


def test_a_discovery_file_left_by_a_dead_collector_is_ignored(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    path = tmp_path / "collector.json"
    path.write_text(json.dumps({"url": "http://127.0.0.1:9848", "pid": int(dead.stdout)}))
    assert read_discovery(path) is None
    path.write_text("{broken")
    assert read_discovery(path) is None


def test_viewers_look_in_the_order_option_environment_config_discovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    monkeypatch.delenv("BWTUI_COLLECTOR", raising=False)
    assert runtime_dir() == tmp_path / "bwtui"
    assert find_collector() is None or find_collector().found_in.startswith("/run/")  # type: ignore[union-attr]
    write_discovery("http://127.0.0.1:1111", token_required=False)
    found = find_collector()
    assert found is not None and found.url == "http://127.0.0.1:1111"
    assert found.found_in == str(tmp_path / "bwtui" / "collector.json")
    assert find_collector(configured="http://127.0.0.1:2222").url == "http://127.0.0.1:2222"  # type: ignore[union-attr]
    monkeypatch.setenv("BWTUI_COLLECTOR", "http://127.0.0.1:3333")
    assert find_collector(configured="http://127.0.0.1:2222").url == "http://127.0.0.1:3333"  # type: ignore[union-attr]
    assert find_collector(option="http://localhost:4444").url == "http://localhost:4444"  # type: ignore[union-attr]
    assert find_collector(option="off") is None
    monkeypatch.setenv("BWTUI_COLLECTOR", "off")
    assert find_collector(configured="http://127.0.0.1:2222") is None
    with pytest.raises(UsageError, match="clear"):
        find_collector(option="http://10.0.0.5:9848")


def test_the_config_names_a_collector_or_turns_attaching_off(tmp_path: Path) -> None:
    assert parse_config_text('collector = "http://127.0.0.1:9848/"\n').collector == "http://127.0.0.1:9848"
    assert parse_config_text('collector = "off"\n').collector == "off"
    assert parse_config_text("").collector is None
    with pytest.raises(ConfigError) as error:
        parse_config_text('theme = "ansi"\ncollector = "http://192.0.2.1:9848"\n', tmp_path / "c.toml")
    assert ":2:" in str(error.value) and "https://" in str(error.value)
