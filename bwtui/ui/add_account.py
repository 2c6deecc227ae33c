"""The in-app "add account" screen: provider, name, base URL, masked token; checked before saving.

Flow on save: validate the fields → ask the provider's list endpoint whether it accepts the token
(async worker) → store the token (thread worker; the keyring may hang) → append the account to the
config file (thread worker; atomic, keeps comments) → dismiss with the new ``AccountConfig``.
A rejected token saves nothing. A keyring that cannot store the token never leads to a plain-text
file: the screen names the alternatives and offers an explicit "save without storing the token".

Everything the user typed or a provider said is shown as plain ``Text``, never as markup, and the
token never appears in any message.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from bwtui import config_edit, secrets
from bwtui.config import AccountConfig, Config, ConfigError, account_name_problem, base_url_problem, env_key
from bwtui.text import safe_text
from bwtui.token_check import Checker, CheckResult, TokenInputError, check_token, clean_token
from bwtui.ui.key_bar import KeyBar

DEFAULT_BASE_URLS: Mapping[str, str] = {
    "hivelocity": "https://core.hivelocity.net/api/v2",
    "altostrat": "https://v1.api.altostrat.io",
}
DEFAULT_PATH_PREFIX = "/vpn"
PROVIDER_LABELS: Mapping[str, str] = {"hivelocity": "Hivelocity", "altostrat": "Altostrat"}
WHERE_TO_FIND_KEY: Mapping[str, str] = {
    "hivelocity": "myVelocity → Settings → API Key",
    "altostrat": "the Altostrat dashboard: Automation → Vault, an item whose name starts with api-key:",
}

StoreToken = Callable[[str, str], None]
AddAccount = Callable[[Path, Mapping[str, Any]], Config]


def keyring_store(name: str, token: str) -> None:
    """Store ``token`` in the OS keyring (bounded by a timeout); KeyringUnavailable on failure."""
    secrets.keyring_set(name, token)


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


@dataclass(frozen=True, slots=True)
class _Form:
    """The validated form: the account to check, the config fields to write, the token (not in repr)."""

    account: AccountConfig
    fields: dict[str, Any]
    token: str = field(repr=False)


class AddAccountScreen(ModalScreen[AccountConfig | None]):
    """Modal form that adds one account; dismisses with it, or None when cancelled."""

    DEFAULT_CSS = """
    AddAccountScreen {
        align: center middle;
    }
    #add-body {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    #add-body .add-row {
        height: auto;
        margin-top: 1;
    }
    #add-body #add-provider-row, #add-body #add-prefix-row {
        margin-top: 0;
    }
    #add-body .add-label {
        width: 13;
        height: 1;
    }
    #add-body Input {
        width: 1fr;
    }
    #add-body RadioSet {
        layout: horizontal;
        width: 1fr;
    }
    #add-body RadioSet > RadioButton {
        width: auto;
        margin-right: 2;
    }
    #add-body .add-note {
        height: auto;
        padding-left: 13;
        color: $text-muted;
    }
    #add-body .add-note.-problem {
        color: $text-error;
    }
    #add-status {
        height: auto;
        margin-top: 1;
    }
    #add-status.-error {
        color: $text-error;
    }
    #add-buttons {
        dock: bottom;
        height: auto;
        margin-top: 1;
        background: $surface;
    }
    #add-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Check and save", id="add-account-save"),
        Binding("escape", "cancel", "Cancel", id="add-account-cancel"),
        # Letters reach this binding only when no text field has focus (fields consume them).
        Binding("q", "cancel", "Cancel", show=False, id="add-account-cancel-q"),
    ]

    def __init__(
        self,
        config_path: Path,
        existing_names: Collection[str],
        *,
        checker: Checker = check_token,
        store_token: StoreToken = keyring_store,
        add_account: AddAccount = config_edit.add_account,
    ) -> None:
        super().__init__()
        self.config_path = Path(config_path)
        self._taken = {env_key(name): name for name in existing_names}
        self._checker = checker
        self._store_token = store_token
        self._add_account = add_account
        self._pending: _Form | None = None  # checked, waiting for "save without storing the token"
        self.busy = False
        self._finished = False

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="add-body") as body:
            body.border_title = "Add account"
            with Horizontal(classes="add-row", id="add-provider-row"):
                yield Static("Provider", classes="add-label")
                with RadioSet(id="add-provider", compact=True):
                    yield RadioButton("Hivelocity", value=True, id="add-provider-hivelocity")
                    yield RadioButton("Altostrat", id="add-provider-altostrat")
            with Horizontal(classes="add-row"):
                yield Static("Name", classes="add-label")
                yield Input(placeholder="e.g. hv-prod", id="add-name", compact=True, max_length=64)
            yield Static(self._name_hint(""), id="add-name-note", classes="add-note")
            with Horizontal(classes="add-row"):
                yield Static("Base URL", classes="add-label")
                yield Input(placeholder=DEFAULT_BASE_URLS["hivelocity"], id="add-base-url", compact=True)
            yield Static(Text("optional: leave empty for the provider's API"), id="add-base-url-note",
                         classes="add-note")
            with Horizontal(classes="add-row", id="add-prefix-row"):
                yield Static("Path prefix", classes="add-label")
                yield Input(DEFAULT_PATH_PREFIX, id="add-prefix", compact=True)
            with Horizontal(classes="add-row"):
                yield Static("API token", classes="add-label")
                yield Input(password=True, placeholder="paste the key (hidden)", id="add-token", compact=True)
            yield Static(self._token_hint("hivelocity"), id="add-token-note", classes="add-note")
            yield Static("", id="add-status")
            with Horizontal(id="add-buttons"):
                yield Button("Check and save", variant="primary", id="add-save", compact=True)
                yield Button("Save without storing the token", variant="warning", id="add-save-no-token",
                             compact=True)
                yield Button("Cancel", id="add-cancel", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#add-save-no-token").display = False
        self._sync_provider()
        self.query_one("#add-name", Input).focus()

    # --- reading and validating the form ------------------------------------------------------

    @property
    def provider(self) -> str:
        pressed = self.query_one("#add-provider", RadioSet).pressed_button
        if pressed is not None and pressed.id == "add-provider-altostrat":
            return "altostrat"
        return "hivelocity"

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _name_hint(self, name: str) -> Text:
        if not name:
            return Text("letters, digits, '-' and '_'")
        return Text(f"its token can also come from {secrets.token_env_var(name)}")

    def _token_hint(self, provider: str) -> Text:
        return Text(f"find it in {WHERE_TO_FIND_KEY[provider]}")

    def name_problem(self, name: str) -> str | None:
        """Why ``name`` cannot be used (invalid or taken), or None."""
        problem = account_name_problem(name)
        if problem:
            return problem
        other = self._taken.get(env_key(name))
        if other == name:
            return f"an account named {name!r} already exists; choose another name"
        if other is not None:
            return (f"{name!r} counts as the same name as the existing {other!r} (they would share "
                    f"{secrets.token_env_var(name)}); choose another name")
        return None

    def base_url_problem(self, url: str) -> str | None:
        """Why ``url`` cannot be used as a base URL (empty is fine: the default), or None."""
        url = url.strip()
        if not url:
            return None
        bad = base_url_problem(url)
        return f"{bad[0]}. Fix: {bad[1]}" if bad else None

    @staticmethod
    def prefix_problem(prefix: str) -> str | None:
        """Why ``prefix`` is not a usable Altostrat path prefix, or None."""
        if prefix and (not prefix.startswith("/") or any(c in prefix for c in "?#")
                       or any(ord(c) < 0x21 for c in prefix)):
            return "the path prefix must be empty or a path starting with '/', e.g. /vpn"
        return None

    def _note(self, selector: str, text: Text | str, *, problem: bool) -> None:
        note = self.query_one(selector, Static)
        note.update(text if isinstance(text, Text) else Text(safe_text(text)))
        note.set_class(problem, "-problem")

    def _show_name_note(self) -> str | None:
        name = self._value("#add-name")
        problem = self.name_problem(name) if name else None
        self._note("#add-name-note", problem or self._name_hint(name), problem=problem is not None)
        return problem

    def _show_url_note(self) -> str | None:
        problem = self.base_url_problem(self._value("#add-base-url"))
        text = problem or Text("optional: leave empty for the provider's API")
        self._note("#add-base-url-note", text, problem=problem is not None)
        return problem

    def _sync_provider(self) -> None:
        provider = self.provider
        self.query_one("#add-prefix-row").display = provider == "altostrat"
        self.query_one("#add-base-url", Input).placeholder = DEFAULT_BASE_URLS[provider]
        self._note("#add-token-note", self._token_hint(provider), problem=False)

    def _read_form(self) -> _Form | str:
        """The validated form, or what to fix first (its note shows why; focus moves there)."""
        name = self._value("#add-name")
        problem = self.name_problem(name)
        if problem:
            self._note("#add-name-note", problem, problem=True)
            self.query_one("#add-name").focus()
            return "fix the name (see above)"
        url = self._value("#add-base-url").strip()
        problem = self._show_url_note()
        if problem:
            self.query_one("#add-base-url").focus()
            return "fix the base URL (see above)"
        provider = self.provider
        prefix: str | None = None
        if provider == "altostrat":
            prefix = self._value("#add-prefix").strip().rstrip("/")
            problem = self.prefix_problem(prefix)
            if problem:
                self.query_one("#add-prefix").focus()
                return problem
        try:
            token = clean_token(self._value("#add-token"))
        except TokenInputError as exc:  # the message never holds the token
            self._note("#add-token-note", f"{exc}; find it in {WHERE_TO_FIND_KEY[provider]}", problem=True)
            self.query_one("#add-token").focus()
            return "fix the token (see above)"
        self._note("#add-token-note", self._token_hint(provider), problem=False)
        fields: dict[str, Any] = {"name": name, "provider": provider}
        if url:
            fields["base_url"] = url.rstrip("/")
        if prefix is not None and prefix != DEFAULT_PATH_PREFIX:
            fields["path_prefix"] = prefix
        account = AccountConfig(name=name, provider=provider,  # type: ignore[arg-type]
                                base_url=fields.get("base_url"), path_prefix=prefix)
        return _Form(account, fields, token)

    # --- events ---------------------------------------------------------------------------------

    @on(RadioSet.Changed, "#add-provider")
    def _provider_changed(self) -> None:
        self._sync_provider()
        self._forget_pending()

    @on(Input.Changed, "#add-name")
    def _name_changed(self) -> None:
        self._show_name_note()
        self._forget_pending()

    @on(Input.Changed, "#add-base-url")
    def _url_changed(self) -> None:
        self._show_url_note()
        self._forget_pending()

    @on(Input.Changed, "#add-prefix")
    @on(Input.Changed, "#add-token")
    def _other_changed(self) -> None:
        self._forget_pending()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#add-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#add-save-no-token")
    def _save_without_token_pressed(self) -> None:
        self.action_save_without_token()

    @on(Button.Pressed, "#add-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _forget_pending(self) -> None:
        """An edit after a keyring failure means the checked form is stale."""
        if self._pending is not None:
            self._pending = None
            self.query_one("#add-save-no-token").display = False

    # --- actions --------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Close without saving (running checks are cancelled with the screen)."""
        self.workers.cancel_group(self, "add-account")
        self._close(None)

    def _close(self, result: AccountConfig | None) -> None:
        if not self._finished:
            self._finished = True
            self.dismiss(result)

    def action_save(self) -> None:
        """Validate, check the token with the provider, store it, then write the config."""
        if self.busy:
            return
        form = self._read_form()
        if isinstance(form, str):
            self.set_status(f"Not saved: {form}", error=True)
            return
        self._pending = None
        self.query_one("#add-save-no-token").display = False
        self._check_and_save(form)

    def action_save_without_token(self) -> None:
        """After the keyring failed: write the (already checked) account without its token."""
        if self.busy or self._pending is None:
            return
        form = self._pending
        self._save_config_only(form)

    # --- status ---------------------------------------------------------------------------------

    def set_status(self, message: str | Text, *, error: bool = False) -> None:
        """The progress/result line; plain text only."""
        status = self.query_one("#add-status", Static)
        status.update(message if isinstance(message, Text) else Text(safe_text(message)))
        status.set_class(error, "-error")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        if self._finished:
            return
        for selector in ("#add-save", "#add-save-no-token"):
            self.query_one(selector, Button).disabled = busy

    # --- workers --------------------------------------------------------------------------------

    @work(exclusive=True, group="add-account", exit_on_error=False)
    async def _check_and_save(self, form: _Form) -> None:
        provider = PROVIDER_LABELS[form.account.provider]
        self._set_busy(True)
        try:
            self.set_status(f"Checking the token with {provider} (listing the account's resources)…")
            result = await self._check(form)
            if not result.ok:
                self._show_rejected(form, result)
                return
            self.set_status(f"{provider} {safe_text(_redact(result.detail, form.token))}. "
                            "Storing the token in the keyring…")
            store_problem = await self._in_thread(self._store, form)
            if store_problem is not None:
                self._offer_without_token(form, store_problem)
                return
            await self._write_config(form, stored=True)
        finally:
            self._set_busy(False)

    @work(exclusive=True, group="add-account", exit_on_error=False)
    async def _save_config_only(self, form: _Form) -> None:
        self._set_busy(True)
        try:
            await self._write_config(form, stored=False)
        finally:
            self._set_busy(False)

    async def _check(self, form: _Form) -> CheckResult:
        try:
            return await self._checker(form.account, form.token)
        except Exception as exc:  # a checker must not crash the app or leak the token in a traceback
            return CheckResult(False, f"could not be checked ({type(exc).__name__})")

    async def _in_thread(self, fn: Callable[[_Form], Any], form: _Form) -> Any:
        """Run a blocking step in a thread worker and wait for its result."""
        worker = self.run_worker(lambda: fn(form), thread=True, group="add-account-io",
                                 exit_on_error=False, description="add-account io")
        return await worker.wait()

    def _store(self, form: _Form) -> str | None:
        """Thread side: store the token; None on success, else a token-free reason."""
        try:
            self._store_token(form.account.name, form.token)
        except secrets.SecretStoreError as exc:
            return _redact(str(exc), form.token)
        except Exception as exc:  # an unexpected backend error: its text might echo the token
            return f"the keyring failed ({type(exc).__name__})"
        return None

    def _add(self, form: _Form) -> Config | str:
        """Thread side: append the account to the config; the Config, or a problem to show."""
        try:
            return self._add_account(self.config_path, form.fields)
        except ConfigError as exc:
            return str(exc)
        except OSError as exc:
            return f"cannot write {self.config_path}: {exc.strerror or type(exc).__name__}"

    async def _write_config(self, form: _Form, *, stored: bool) -> None:
        self.set_status(f"Saving the account to {safe_text(self.config_path)}…")
        result = await self._in_thread(self._add, form)
        if isinstance(result, str):
            text = Text("Not saved to the config: ", style="bold")
            text.append(safe_text(_redact(result, form.token)))
            if stored:
                text.append(f"\n(the token is already stored in the keyring for '{form.account.name}')")
            self.set_status(text, error=True)
            return
        account = next((a for a in result.accounts if a.name == form.account.name), form.account)
        self._close(account)

    def _show_rejected(self, form: _Form, result: CheckResult) -> None:
        provider = form.account.provider
        text = Text(f"Nothing saved: {PROVIDER_LABELS[provider]} ", style="bold")
        text.append(safe_text(_redact(result.detail, form.token)))
        text.append(".\n")
        if result.detail.startswith("rejected"):
            text.append(f"The provider rejected the key: check it in {WHERE_TO_FIND_KEY[provider]}")
        else:
            text.append("Check the base URL and the network, then try again")
        self.set_status(text, error=True)
        self.query_one("#add-token").focus()

    def _offer_without_token(self, form: _Form, problem: str) -> None:
        name = form.account.name
        text = Text("The provider accepted the token, but it could not be stored: ", style="bold")
        text.append(safe_text(problem))
        text.append(".\nNothing was written in plain text. Save the account without its token, then\n")
        text.append(f"  export {secrets.token_env_var(name)}=… in the shell that runs bwtui, or\n")
        text.append(f"  run bwtui auth set {name} --insecure-file  (a plain-text file, mode 0600)")
        self.set_status(text, error=True)
        self._pending = form
        button = self.query_one("#add-save-no-token", Button)
        button.display = True
        button.focus()
