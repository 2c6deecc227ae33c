"""The in-app "add account" screen: live validation, check before save, keyring paths, no leaks."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from bwtui import secrets
from bwtui.token_check import CheckResult, check_token
from bwtui.config import AccountConfig, ConfigError
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread
from bwtui.ui.add_account import AddAccountScreen
from isolation import IsolatedHome
from ui_support import screen_text
from keyrings import MemoryKeyring

TOKEN = "hv-SECRET-token-4242"
CONFIG_TEXT = """\
# my bwtui accounts (keep this comment)
theme = "default"

[[account]]
name = "hv-prod"  # the main one
provider = "hivelocity"
"""


class Checker:
    """A scripted provider check that records what it was asked."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        self.calls: list[tuple[AccountConfig, str]] = []

    async def __call__(self, account: AccountConfig, token: str) -> CheckResult:
        self.calls.append((account, token))
        return self.result


class Store:
    """A scripted token store; ``error`` makes it fail like an unavailable keyring."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[tuple[str, str]] = []

    def __call__(self, name: str, token: str) -> None:
        self.calls.append((name, token))
        if self.error is not None:
            raise self.error


class Host(App[None]):
    """A bare app that shows the screen and keeps what it was dismissed with."""

    def __init__(self, screen: AddAccountScreen) -> None:
        super().__init__()
        self.add_screen = screen
        self.results: list[AccountConfig | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.add_screen, self.results.append)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG_TEXT, encoding="utf-8")
    return path


def make_screen(config_path: Path, checker: Any = None, store: Any = None, **kw: Any) -> AddAccountScreen:
    return AddAccountScreen(
        config_path, ["hv-prod"],
        checker=checker or Checker(CheckResult(True, "accepted (3 resources)")),
        store_token=store or Store(), **kw,
    )


def note(app: Host, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def fill(pilot: Any, *, name: str = "new-one", url: str = "", token: str = TOKEN,
               provider: str = "hivelocity", prefix: str | None = None, type_token: bool = False) -> None:
    screen = pilot.app.screen
    if provider == "altostrat":
        await pilot.click("#add-provider-altostrat")
    screen.query_one("#add-name", Input).value = name
    screen.query_one("#add-base-url", Input).value = url
    if prefix is not None:
        screen.query_one("#add-prefix", Input).value = prefix
    if type_token:  # as a user would: click the field and type (slower)
        await pilot.click("#add-token")
        await pilot.press(*token)
    else:
        screen.query_one("#add-token", Input).value = token
    await pilot.pause()


async def save(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# --- validation -------------------------------------------------------------------------------


async def test_bad_name_is_explained_while_typing(config_path: Path) -> None:
    checker = Checker(CheckResult(True, "accepted"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#add-name")
        await pilot.press(*"a b")
        await pilot.pause()
        assert "may only hold letters, digits" in note(app, "#add-name-note")
        await save(pilot)
        assert checker.calls == []
        assert "Not saved: fix the name" in screen_text(app)
        assert app.screen.focused is app.screen.query_one("#add-name")


async def test_markup_in_a_typed_name_is_shown_literally(config_path: Path) -> None:
    app = Host(make_screen(config_path))
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#add-name", Input).value = "[@click=app.quit]x[/]"
        await pilot.pause()
        assert "'[@click=app.quit]x[/]'" in note(app, "#add-name-note")
        assert app.is_running


@pytest.mark.parametrize("name", ["hv-prod", "HV_PROD"])
async def test_duplicate_name_is_refused(config_path: Path, name: str) -> None:
    checker = Checker(CheckResult(True, "accepted"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, name=name)
        assert "hv-prod" in note(app, "#add-name-note")
        assert "choose another name" in note(app, "#add-name-note")
        await save(pilot)
        assert checker.calls == []
        assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT


async def test_plain_http_to_a_remote_host_is_refused_but_loopback_is_fine(config_path: Path) -> None:
    checker = Checker(CheckResult(True, "accepted"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, url="http://api.example.com/v2")
        assert "uses http:// to a non-loopback host" in note(app, "#add-base-url-note")
        await save(pilot)
        assert checker.calls == []
        assert "Not saved: fix the base URL" in screen_text(app)
        app.screen.query_one("#add-base-url", Input).value = "http://127.0.0.1:8080/api/v2"
        await pilot.pause()
        assert "optional" in note(app, "#add-base-url-note")


async def test_empty_token_is_refused_without_asking_the_provider(config_path: Path) -> None:
    checker = Checker(CheckResult(True, "accepted"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, token="   ")
        await save(pilot)
        assert checker.calls == []
        assert "the token is empty" in note(app, "#add-token-note")


# --- the check ----------------------------------------------------------------------------------


async def test_rejected_key_saves_nothing_and_shows_the_provider_message_literally(config_path: Path) -> None:
    checker = Checker(CheckResult(False, "rejected the token (auth: [bold]x[/] invalid key)"))
    store = Store()
    app = Host(make_screen(config_path, checker, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        await save(pilot)
        text = screen_text(app)
        assert "[bold]x[/] invalid key" in text
        assert "check it in myVelocity → Settings → API Key" in text
        assert len(checker.calls) == 1 and checker.calls[0][1] == TOKEN
        assert store.calls == []
        assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT
        assert app.results == []  # still open, so the user can fix the key
        assert TOKEN not in text


async def test_altostrat_rejection_says_where_its_keys_live(config_path: Path) -> None:
    checker = Checker(CheckResult(False, "rejected the token (auth: Unauthenticated.)"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 30)) as pilot:
        await fill(pilot, provider="altostrat")
        await save(pilot)
        assert "Automation → Vault, an item whose name starts with api-key:" in note(app, "#add-status")
        assert checker.calls[0][0].provider == "altostrat"


async def test_unreachable_provider_says_to_check_the_url(config_path: Path) -> None:
    checker = Checker(CheckResult(False, "could not be checked (network: connection refused)"))
    app = Host(make_screen(config_path, checker))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, url="https://127.0.0.1:9/api/v2")
        await save(pilot)
        status = note(app, "#add-status")
        assert "connection refused" in status and "Check the base URL" in status
        assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT


async def test_accepted_key_is_stored_and_the_account_written_keeping_comments(config_path: Path) -> None:
    store = Store()
    checker = Checker(CheckResult(True, "accepted (3 resources)"))
    app = Host(make_screen(config_path, checker, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, url="https://core.example.net/api/v2/")
        await save(pilot)
    assert store.calls == [("new-one", TOKEN)]
    written = config_path.read_text(encoding="utf-8")
    assert written.startswith(CONFIG_TEXT)  # the user's comments and layout are untouched
    assert 'name = "new-one"' in written and 'base_url = "https://core.example.net/api/v2"' in written
    assert TOKEN not in written
    [result] = app.results
    assert isinstance(result, AccountConfig)
    assert (result.name, result.provider, result.base_url) == ("new-one", "hivelocity", "https://core.example.net/api/v2")
    assert checker.calls[0][0].base_url == "https://core.example.net/api/v2"


async def test_altostrat_writes_only_non_default_fields(config_path: Path) -> None:
    for prefix, expected in (("/vpn", None), ("", '""')):
        path = config_path.with_name(f"c{len(prefix)}.toml")
        path.write_text(CONFIG_TEXT, encoding="utf-8")
        app = Host(make_screen(path))
        async with app.run_test(size=(80, 24)) as pilot:
            await fill(pilot, name="vpn", provider="altostrat", prefix=prefix)
            await save(pilot)
        added = path.read_text(encoding="utf-8")[len(CONFIG_TEXT):]
        assert 'provider = "altostrat"' in added and "base_url" not in added
        if expected is None:
            assert "path_prefix" not in added
        else:
            assert f"path_prefix = {expected}" in added
        [result] = app.results
        assert result is not None and result.path_prefix == (None if expected is None else "")


async def test_config_error_is_shown_literally_and_nothing_is_dismissed(config_path: Path) -> None:
    def broken_add(path: Path, fields: Mapping[str, Any]) -> Any:
        raise ConfigError.at(path, 3, "bad [red]thing[/]", "fix it")

    app = Host(make_screen(config_path, add_account=broken_add))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        await save(pilot)
        assert "bad [red]thing[/]. Fix: fix it" in note(app, "#add-status")
        assert app.results == []


# --- keyring paths ------------------------------------------------------------------------------


async def test_keyring_unavailable_names_the_alternatives_and_can_save_without_the_token(
    config_path: Path, tmp_path: Path
) -> None:
    store = Store(secrets.KeyringUnavailable("no keyring backend is available (no D-Bus session?)"))
    app = Host(make_screen(config_path, store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        await save(pilot)
        status = note(app, "#add-status")
        assert "no keyring backend is available" in status
        assert "Nothing was written in plain text" in status
        assert "export BWTUI_TOKEN_NEW_ONE=" in status
        assert "bwtui auth set new-one --insecure-file" in status
        assert "Save without storing the token" in screen_text(app)  # visible at 80×24
        assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT
        assert app.results == []
        await pilot.click("#add-save-no-token")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = config_path.read_text(encoding="utf-8")
    assert written.startswith(CONFIG_TEXT) and 'name = "new-one"' in written and TOKEN not in written
    assert [r.name for r in app.results if r] == ["new-one"]
    assert not any(TOKEN in p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


async def test_default_store_puts_the_token_in_the_keyring(config_path: Path) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    app = Host(AddAccountScreen(config_path, ["hv-prod"], checker=Checker(CheckResult(True, "accepted"))))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        await save(pilot)
    assert backend.store == {("bwtui", "new-one"): TOKEN}
    assert [r.name for r in app.results if r] == ["new-one"]


async def test_default_store_on_a_host_without_keyring_writes_no_plain_text(
    config_path: Path, isolated_home: IsolatedHome
) -> None:
    app = Host(AddAccountScreen(config_path, ["hv-prod"], checker=Checker(CheckResult(True, "accepted"))))
    async with app.run_test(size=(80, 24)) as pilot:  # the autouse fixture installed the fail backend
        await fill(pilot)
        await save(pilot)
        assert "--insecure-file" in note(app, "#add-status")
        assert not (isolated_home.config / "bwtui" / "tokens.json").exists()
        assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT


# --- secrets never shown ------------------------------------------------------------------------


async def test_token_never_appears_on_screen(config_path: Path) -> None:
    echo = Checker(CheckResult(False, f"rejected the token (auth: key {TOKEN} is not valid)"))
    app = Host(make_screen(config_path, echo))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot, type_token=True)
        assert TOKEN not in screen_text(app)
        await save(pilot)
        assert TOKEN not in screen_text(app)
        assert TOKEN not in app.export_screenshot()
        assert "key *** is not valid" in screen_text(app)


# --- closing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["escape", "button", "q-on-button"])
async def test_cancel_closes_without_saving(config_path: Path, how: str) -> None:
    store = Store()
    app = Host(make_screen(config_path, store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        if how == "escape":
            await pilot.press("escape")
        elif how == "button":
            await pilot.click("#add-cancel")
        else:
            app.screen.query_one("#add-cancel", Button).focus()
            await pilot.press("q")
        await pilot.pause()
    assert app.results == [None]
    assert store.calls == []
    assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT


async def test_q_in_a_text_field_is_just_a_letter(config_path: Path) -> None:
    app = Host(make_screen(config_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#add-name")
        await pilot.press("q", "a")
        await pilot.pause()
        assert app.screen.query_one("#add-name", Input).value == "qa"
        assert app.results == []


# --- against the simulator, over real HTTP ----------------------------------------------------


async def test_real_check_against_the_simulator(config_path: Path) -> None:
    sim = Simulator(SimulatorConfig(hivelocity_services=2, altostrat_instances=1, hivelocity_token=TOKEN))
    with serve_in_thread(sim) as server:
        base_url = server.base_url + sim.hivelocity_base_url_path
        store = Store()
        app = Host(AddAccountScreen(config_path, ["hv-prod"], checker=check_token, store_token=store))
        async with app.run_test(size=(80, 24)) as pilot:
            await fill(pilot, url=base_url, token="wrong-key-123")
            await save(pilot)
            assert "rejected the token" in screen_text(app)
            assert store.calls == [] and app.results == []
            token_input = app.screen.query_one("#add-token", Input)
            token_input.value = TOKEN
            await save(pilot)
        assert store.calls == [("new-one", TOKEN)]
        [result] = app.results
        assert result is not None and result.base_url == base_url
        assert TOKEN not in config_path.read_text(encoding="utf-8")


async def test_progress_is_shown_while_checking_and_cancel_stops_it(config_path: Path) -> None:
    release = asyncio.Event()

    async def slow_checker(account: AccountConfig, token: str) -> CheckResult:
        await release.wait()
        return CheckResult(True, "accepted")

    store = Store()
    app = Host(make_screen(config_path, slow_checker, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Checking the token with Hivelocity" in note(app, "#add-status")
        assert app.screen.query_one("#add-save", Button).disabled
        await pilot.click("#add-cancel")
        await pilot.pause()
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.results == [None]
    assert store.calls == []
    assert config_path.read_text(encoding="utf-8") == CONFIG_TEXT
