"""Token resolution: env var, keyring (working, missing, locked, hung), and the opt-in 0600 file."""

from __future__ import annotations

import os
import threading

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from bwtui import paths, secrets
from keyrings import MemoryKeyring

TOKEN = "hv-SECRET-token-4242"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class LeakyKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"could not store {password!r}")


class HangingKeyring(MemoryKeyring):
    """get_password blocks until the test releases it (a hung D-Bus call)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        self.release.wait(30)
        return None


def use(backend: KeyringBackend) -> KeyringBackend:
    keyring.set_keyring(backend)
    return backend


@pytest.mark.parametrize(
    ("name", "var"),
    [("hv-prod", "BWTUI_TOKEN_HV_PROD"), ("vpn_1", "BWTUI_TOKEN_VPN_1"), ("Alto.Strat x", "BWTUI_TOKEN_ALTO_STRAT_X"),
     ("café", "BWTUI_TOKEN_CAF_")],
)
def test_env_var_naming(name: str, var: str) -> None:
    assert secrets.token_env_var(name) == var


def test_env_var_wins_over_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = use(MemoryKeyring())
    backend.store[("bwtui", "hv-prod")] = "from-keyring"
    monkeypatch.setenv("BWTUI_TOKEN_HV_PROD", TOKEN + "\n")
    result = secrets.resolve_token("hv-prod")
    assert (result.token, result.source, result.problem) == (TOKEN, "env", None)
    assert backend.calls == 0


def test_working_keyring_round_trip() -> None:
    backend = use(MemoryKeyring())
    secrets.keyring_set("hv-prod", TOKEN)
    assert backend.store == {("bwtui", "hv-prod"): TOKEN}
    result = secrets.resolve_token("hv-prod")
    assert (result.token, result.source) == (TOKEN, "keyring")
    assert secrets.keyring_delete("hv-prod") is True
    assert secrets.keyring_delete("hv-prod") is False
    missing = secrets.resolve_token("hv-prod")
    assert missing.token is None and missing.source is None
    assert "set BWTUI_TOKEN_HV_PROD" in (missing.problem or "")
    assert "keyring unavailable" not in (missing.problem or "")


def test_no_keyring_backend_names_both_ways() -> None:
    result = secrets.resolve_token("hv-prod")  # the fail backend: a jump host without D-Bus
    assert result.token is None and result.source is None
    assert result.problem == (
        "no token for account 'hv-prod': set BWTUI_TOKEN_HV_PROD, or store one with `bwtui auth set hv-prod` "
        "(keyring unavailable: no keyring backend is available (no D-Bus session or keyring daemon?); "
        "on hosts without a keyring use `bwtui auth set hv-prod --insecure-file`)"
    )
    with pytest.raises(secrets.KeyringUnavailable):
        secrets.keyring_set("hv-prod", TOKEN)


def test_locked_keyring_is_a_clear_problem() -> None:
    use(LockedKeyring())
    result = secrets.resolve_token("vpn")
    assert result.token is None
    assert "keyring unavailable: the keyring is locked" in (result.problem or "")
    assert "BWTUI_TOKEN_VPN" in (result.problem or "")


def test_hanging_keyring_is_bounded_by_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = use(HangingKeyring())
    monkeypatch.setattr(secrets, "KEYRING_TIMEOUT_S", 0.05)
    try:
        first = secrets.resolve_token("a")
        assert first.token is None
        assert "did not answer within 0.05 s" in (first.problem or "")
        # while the first call is still stuck, later accounts do not start (and wait on) another one
        second = secrets.resolve_token("b")
        assert "did not answer an earlier request" in (second.problem or "")
        assert "BWTUI_TOKEN_B" in (second.problem or "")
        assert backend.calls == 1
    finally:
        backend.release.set()


def test_keyring_errors_never_carry_the_token() -> None:
    use(LeakyKeyring())
    with pytest.raises(secrets.KeyringUnavailable) as caught:
        secrets.keyring_set("hv-prod", TOKEN)
    assert TOKEN not in str(caught.value)
    assert "***" in str(caught.value)


def test_token_result_repr_hides_the_token() -> None:
    result = secrets.TokenResult(TOKEN, "env")
    assert TOKEN not in repr(result) and TOKEN not in str(result)
    assert "'***'" in repr(result)


def test_insecure_file_is_created_0600_and_used_when_keyring_is_missing() -> None:
    path = secrets.file_set("hv-prod", TOKEN)
    assert path == paths.token_file() == paths.config_dir() / "tokens.json"
    assert path.stat().st_mode & 0o777 == 0o600
    result = secrets.resolve_token("hv-prod")  # fail backend, then the file
    assert (result.token, result.source) == (TOKEN, "file")
    secrets.file_set("other", "second-token")
    assert path.stat().st_mode & 0o777 == 0o600
    assert secrets.file_get("hv-prod") == TOKEN
    assert sorted(p.name for p in path.parent.iterdir()) == ["tokens.json"]


def test_keyring_wins_over_the_file() -> None:
    secrets.file_set("hv-prod", "file-token")
    backend = use(MemoryKeyring())
    backend.store[("bwtui", "hv-prod")] = TOKEN
    assert secrets.resolve_token("hv-prod").source == "keyring"


def test_insecure_file_refused_when_group_or_world_readable() -> None:
    path = secrets.file_set("hv-prod", TOKEN)
    path.chmod(0o644)
    result = secrets.resolve_token("hv-prod")
    assert result.token is None
    assert f"chmod 600 {path}" in (result.problem or "")
    assert "0644" in (result.problem or "")
    assert TOKEN not in (result.problem or "")
    with pytest.raises(secrets.InsecureFileError, match="chmod 600"):
        secrets.file_set("hv-prod", "new")
    path.chmod(0o600)
    assert secrets.resolve_token("hv-prod").source == "file"


def test_file_delete_removes_the_file_when_empty() -> None:
    path = secrets.file_set("a", TOKEN)
    secrets.file_set("b", "other-token")
    assert secrets.file_delete("a") is True
    assert secrets.file_get("a") is None and secrets.file_get("b") == "other-token"
    assert secrets.file_delete("b") is True
    assert not path.exists()
    assert secrets.file_delete("b") is False


def test_corrupt_token_file_is_reported_without_its_content() -> None:
    path = paths.token_file()
    path.parent.mkdir(parents=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, f"not json {TOKEN}".encode())
    os.close(fd)
    result = secrets.resolve_token("a")
    assert "not in the expected format" in (result.problem or "")
    assert TOKEN not in (result.problem or "")
