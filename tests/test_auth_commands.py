"""`bwtui auth`, `bwtui account` and `bwtui locate` as a user runs them (tokens never shown)."""

from __future__ import annotations

import argparse
import io
import sys
import types
from pathlib import Path

import pytest

import bwtui.runtime  # noqa: F401 - imported before a test swaps bwtui.providers
from bwtui import paths, secrets
from bwtui.commands import account as account_cmd
from bwtui.commands import auth as auth_cmd
from bwtui.commands import locate as locate_cmd
from bwtui.config import AccountConfig, load_config
from bwtui.model import ErrorKind, ProviderError
from isolation import IsolatedHome
from keyrings import MemoryKeyring

ENV_TOKEN = "env-TOKEN-aaaa1111"
KEYRING_TOKEN = "kr-TOKEN-bbbb2222"
FILE_TOKEN = "file-TOKEN-cccc3333"

CONFIG = """\
# accounts I watch
[[account]]
name = "hv-prod"   # production
provider = "hivelocity"

[[account]]
name = "vpn"
provider = "altostrat"
base_url = "http://127.0.0.1:9/altostrat"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    monkeypatch.setenv("BWTUI_CONFIG", str(path))
    return path


def cli(argv: list[str], capsys: pytest.CaptureFixture[str], *, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    """Parse like the real cli.py (a global --config, sub-commands registered by add_parser)."""
    parser = argparse.ArgumentParser(prog="bwtui")
    parser.add_argument("--config")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (auth_cmd, account_cmd, locate_cmd):
        module.add_parser(sub)
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


# --- auth set ----------------------------------------------------------------------------------


def test_auth_set_stdin_trims_one_newline(config_file: Path, memory_keyring: MemoryKeyring,
                                          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli(["auth", "set", "hv-prod", "--stdin"], capsys, stdin=KEYRING_TOKEN + "\n",
                         monkeypatch=monkeypatch)
    assert code == 0, err
    assert memory_keyring.store == {("bwtui", "hv-prod"): KEYRING_TOKEN}
    assert "stored the token for 'hv-prod' in the keyring" in out
    assert KEYRING_TOKEN not in out + err


@pytest.mark.parametrize("typed", ["", "\n", "   \n", "\t\n", "two\nlines\n", "tok\n\n", " padded\n"])
def test_auth_set_rejects_empty_or_malformed(typed: str, config_file: Path, memory_keyring: MemoryKeyring,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli(["auth", "set", "hv-prod", "--stdin"], capsys, stdin=typed, monkeypatch=monkeypatch)
    assert code == 2
    assert "nothing stored" in err
    assert memory_keyring.store == {}


def test_auth_set_prompts_hidden(config_file: Path, memory_keyring: MemoryKeyring,
                                 capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr(auth_cmd.getpass, "getpass", lambda prompt: prompts.append(prompt) or KEYRING_TOKEN)
    code, out, err = cli(["auth", "set", "vpn"], capsys)
    assert code == 0, err
    assert prompts == ["API token for 'vpn' (altostrat): "]
    assert memory_keyring.store[("bwtui", "vpn")] == KEYRING_TOKEN


def test_auth_set_without_terminal_asks_for_stdin(config_file: Path, memory_keyring: MemoryKeyring,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a tty
    code, _, err = cli(["auth", "set", "vpn"], capsys)
    assert code == 2 and "--stdin" in err


def test_auth_set_unknown_account_suggests_account_add(config_file: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli(["auth", "set", "nope", "--stdin"], capsys, stdin="x\n", monkeypatch=monkeypatch)
    assert code == 2
    assert "no account named 'nope'" in err and "bwtui account add nope --provider" in err
    assert str(config_file) in err


def test_auth_set_without_keyring_says_how_else(config_file: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = cli(["auth", "set", "hv-prod", "--stdin"], capsys, stdin=FILE_TOKEN, monkeypatch=monkeypatch)
    assert code == 3
    assert "BWTUI_TOKEN_HV_PROD" in err and "--insecure-file" in err
    assert FILE_TOKEN not in out + err
    assert not paths.token_file().exists()  # never a silent plain-text fallback


def test_auth_set_without_keyring_says_so_before_asking(config_file: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring: no prompt for a token that could not be stored anyway."""
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(isatty=lambda: True))
    monkeypatch.setattr(auth_cmd.getpass, "getpass", lambda prompt: prompts.append(prompt) or FILE_TOKEN)
    code, _, err = cli(["auth", "set", "hv-prod"], capsys)
    assert code == 3 and "BWTUI_TOKEN_HV_PROD" in err and "--insecure-file" in err
    assert prompts == []


def test_auth_set_insecure_file_warns_on_every_write(config_file: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        code, out, err = cli(["auth", "set", "hv-prod", "--stdin", "--insecure-file"], capsys, stdin=FILE_TOKEN,
                             monkeypatch=monkeypatch)
        assert code == 0, err
        assert "PLAIN TEXT" in err and str(paths.token_file()) in err
        assert FILE_TOKEN not in out + err
    assert paths.token_file().stat().st_mode & 0o777 == 0o600
    assert secrets.resolve_token("hv-prod").source == "file"


def test_auth_set_check_stores_only_accepted_tokens(config_file: Path, memory_keyring: MemoryKeyring,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    async def reject(account: AccountConfig, token: str) -> auth_cmd.CheckResult:
        return auth_cmd.CheckResult(False, "rejected the token (auth: Invalid API key)")

    monkeypatch.setattr(auth_cmd, "check_token", reject)
    code, _, err = cli(["auth", "set", "hv-prod", "--stdin", "--check"], capsys, stdin=KEYRING_TOKEN,
                       monkeypatch=monkeypatch)
    assert code == 3 and "Invalid API key" in err and "nothing stored" in err
    assert memory_keyring.store == {}


# --- auth status / delete ------------------------------------------------------------------------


def test_auth_status_shows_sources_never_tokens(config_file: Path, memory_keyring: MemoryKeyring,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", ENV_TOKEN)
    memory_keyring.store[("bwtui", "vpn")] = KEYRING_TOKEN
    seen: dict[str, str] = {}

    async def accept(account: AccountConfig, token: str) -> auth_cmd.CheckResult:
        seen[account.name] = token
        return auth_cmd.CheckResult(True, "accepted (3 resources)")

    monkeypatch.setattr(auth_cmd, "check_token", accept)
    code, out, err = cli(["auth", "status", "--check"], capsys)
    assert code == 0, err
    assert seen == {"hv-prod": ENV_TOKEN, "vpn": KEYRING_TOKEN}
    lines = out.splitlines()
    assert lines[0].split() == ["ACCOUNT", "PROVIDER", "TOKEN", "CHECK"]
    assert lines[1].split()[:3] == ["hv-prod", "hivelocity", "env"]
    assert lines[2].split()[:3] == ["vpn", "altostrat", "keyring"]
    assert "accepted (3 resources)" in lines[1]
    for token in (ENV_TOKEN, KEYRING_TOKEN):
        assert token not in out + err


def test_auth_status_missing_and_rejected_tokens_exit_3(config_file: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.file_set("vpn", FILE_TOKEN)

    async def reject(account: AccountConfig, token: str) -> auth_cmd.CheckResult:
        return auth_cmd.CheckResult(False, "rejected the token (auth: bad key)")

    monkeypatch.setattr(auth_cmd, "check_token", reject)
    code, out, err = cli(["auth", "status", "--check"], capsys)
    assert code == 3
    assert "hv-prod  hivelocity  none" in out
    assert "set BWTUI_TOKEN_HV_PROD, or store one with `bwtui auth set hv-prod`" in out
    assert "--insecure-file" in out  # the keyring is the fail backend here
    assert "vpn: the provider rejected the token (auth: bad key)" in out
    assert FILE_TOKEN not in out + err

    code, out, _ = cli(["auth", "status"], capsys)  # without --check only the missing token fails
    assert code == 3 and "CHECK" not in out


def test_auth_status_with_no_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["auth", "status"], capsys)
    assert code == 0 and "bwtui account add" in out


async def test_default_checker_redacts_the_token_from_provider_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "leaky-TOKEN-9999"
    closed: list[bool] = []

    class FakeClient:
        async def list_resources(self) -> list[object]:
            raise ProviderError(ErrorKind.AUTH, f"key {token} is not valid\x1b[2J")

        async def aclose(self) -> None:
            closed.append(True)

    made: list[tuple[str, str, dict[str, object]]] = []

    def make_client(provider: str, account: str, tok: str, **settings: object) -> FakeClient:
        made.append((provider, account, settings))
        return FakeClient()

    monkeypatch.setitem(sys.modules, "bwtui.providers", types.SimpleNamespace(make_client=make_client))
    account = AccountConfig(name="vpn", provider="altostrat", base_url="http://127.0.0.1:9", path_prefix="")
    result = await auth_cmd.check_token(account, token)
    assert not result.ok
    assert token not in result.detail and "\x1b" not in result.detail
    assert result.detail.startswith("rejected the token (auth:")
    assert made == [("altostrat", "vpn", {"base_url": "http://127.0.0.1:9", "path_prefix": ""})]
    assert closed == [True]


def test_auth_delete_removes_from_keyring_and_file(config_file: Path, memory_keyring: MemoryKeyring,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    memory_keyring.store[("bwtui", "vpn")] = KEYRING_TOKEN
    secrets.file_set("vpn", FILE_TOKEN)
    code, out, _ = cli(["auth", "delete", "vpn"], capsys)
    assert code == 0
    assert "deleted the token for 'vpn' from the keyring and" in out
    assert memory_keyring.store == {} and secrets.file_get("vpn") is None
    code, out, _ = cli(["auth", "delete", "vpn"], capsys)
    assert code == 0 and "no stored token for 'vpn'" in out


# --- account / locate / config errors ---------------------------------------------------------


def test_account_add_list_remove_keep_comments(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["account", "add", "hv-lab", "--provider", "hivelocity", "--billing-day", "12",
                          "--interface", "private"], capsys)
    assert code == 0, err
    assert "bwtui auth set hv-lab" in out and "BWTUI_TOKEN_HV_LAB" in out
    assert config_file.read_text().startswith(CONFIG)
    lab = load_config(config_file).accounts[2]
    assert (lab.name, lab.billing_day, lab.interface) == ("hv-lab", 12, "private")

    code, out, _ = cli(["account", "list"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["NAME", "hv-prod", "vpn", "hv-lab"]

    code, out, _ = cli(["account", "remove", "hv-prod"], capsys)
    assert code == 0
    text = config_file.read_text()
    assert "# accounts I watch" in text and "hv-prod" not in text and "# production" not in text


def test_account_add_creates_config_and_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "fresh" / "bwtui.toml"
    code, _, err = cli(["--config", str(target), "account", "add", "a", "--provider", "altostrat"], capsys)
    assert code == 0, err and target.exists()
    code, _, err = cli(["account", "add", "a", "--provider", "altostrat", "--config", str(target)], capsys)
    assert code == 2 and "already exists" in err
    before = target.read_bytes()
    code, _, err = cli(["account", "add", "b", "--provider", "altostrat", "--base-url", "http://198.51.100.7/",
                        "--config", str(target)], capsys)
    assert code == 2 and f"{target}:" in err and "Fix: use https://" in err
    code, _, err = cli(["account", "add", "bad name", "--provider", "altostrat", "--config", str(target)], capsys)
    assert code == 2 and "letters, digits" in err
    assert target.read_bytes() == before


def test_config_errors_exit_2_with_file_line_and_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[account]]\nname = "x"\nprovider = "linode"\n')
    monkeypatch.setenv("BWTUI_CONFIG", str(bad))
    for argv in (["auth", "status"], ["account", "list"], ["auth", "set", "x", "--stdin"]):
        code, out, err = cli(argv, capsys, stdin="tok", monkeypatch=monkeypatch)
        assert code == 2
        assert f"{bad}:3: account 'x' has unknown provider 'linode'. Fix: " in err
        assert "Traceback" not in out + err


def test_locate_prints_the_files_in_use(config_file: Path, capsys: pytest.CaptureFixture[str],
                                        isolated_home: IsolatedHome) -> None:
    code, out, _ = cli(["locate"], capsys)
    assert code == 0
    assert f"config file: {config_file} ($BWTUI_CONFIG; exists)" in out
    assert f"state dir:   {isolated_home.state / 'bwtui'}" in out
    assert f"token file:  {isolated_home.config / 'bwtui' / 'tokens.json'} (not created" in out
    code, out, _ = cli(["--config", "/elsewhere.toml", "locate", "config"], capsys)
    assert out == "/elsewhere.toml\n"
    secrets.file_set("x", FILE_TOKEN)
    paths.token_file().chmod(0o644)
    _, out, _ = cli(["locate"], capsys)
    assert "mode 0644; TOO OPEN, refused: chmod 600 it" in out
