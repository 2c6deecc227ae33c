"""Config loading, validation errors (file, line, fix), discovery order, and comment-keeping edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwtui import paths
from bwtui.config import ConfigError, load_config, parse_config_text
from bwtui.config_edit import add_account, remove_account
from bwtui.si import parse_si
from isolation import IsolatedHome


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FULL = """\
# my bwtui config
theme = "ansi"
ascii = true

[poll]
altostrat_interval_s = 30
max_concurrency = 8

[[account]]
name = "hv-prod"
provider = "hivelocity"
interface = "eth0"
billing_day = 15
allowance_out_tb = 20
overage_usd_per_gb = 0.02

[account.thresholds]
warn_out = "500M"
crit_out = "1Gbps"
warn_in = 100000
crit_projected_pct = 100

[account.resources."152515"]
allowance_out_tb = 5
thresholds = { crit_out = "2G" }

[[account]]
name = "vpn_1"
provider = "altostrat"
base_url = "http://127.0.0.1:8765/altostrat/"
path_prefix = "/vpn"
"""


def test_full_config_loads_every_setting(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, FULL))
    assert config.theme == "ansi" and config.ascii is True
    assert config.poll.altostrat_interval_s == 30 and config.poll.max_concurrency == 8
    hv, vpn = config.accounts
    assert (hv.name, hv.provider, hv.interface, hv.billing_day) == ("hv-prod", "hivelocity", "eth0", 15)
    assert hv.allowance_out_bytes == 20 * 10**12
    assert hv.overage_usd_per_gb == 0.02
    assert hv.thresholds.warn_out_bps == 500e6 and hv.thresholds.crit_out_bps == 1e9
    assert hv.thresholds.warn_in_bps == 100000 and hv.thresholds.crit_projected_pct == 100
    override = hv.resources["152515"]
    assert override.allowance_out_bytes == 5 * 10**12
    # a per-resource threshold replaces only what it names
    assert override.thresholds is not None
    assert override.thresholds.crit_out_bps == 2e9 and override.thresholds.warn_out_bps == 500e6
    assert vpn.base_url == "http://127.0.0.1:8765/altostrat" and vpn.path_prefix == "/vpn"
    assert vpn.allowance_out_bytes is None


def test_hivelocity_allowance_defaults_to_10_tb(tmp_path: Path) -> None:
    """The default comes from Hivelocity's declaration, not from the config file."""
    from bwtui.billing import allowance_for
    from bwtui.model import Resource

    config = load_config(write(tmp_path, '[[account]]\nname = "a"\nprovider = "hivelocity"\n'))
    account = config.accounts[0]
    assert account.allowance_out_bytes is None  # nothing set in the file
    service = Resource("a", "hivelocity", "service", "1", "web")
    assert allowance_for(service, account) == 10 * 10**12
    assert config.accounts[0].billing_day == 1 and config.accounts[0].interface == "public"


ACCOUNT = '[[account]]\nname = "hv"\nprovider = "hivelocity"\n'


@pytest.mark.parametrize(
    ("text", "line", "problem", "fix"),
    [
        pytest.param('theme = "ansi"\n[[account]]\nname = hv\n', 3, "invalid TOML", "quote", id="bad-toml"),
        pytest.param('[[account]]\nname = "hv"\nprovider = "linode"\n', 3, "unknown provider 'linode'",
                     '"hivelocity"', id="unknown-provider"),
        pytest.param(ACCOUNT + '\n[[account]]\nname = "hv"\nprovider = "altostrat"\n', 6,
                     "duplicate account name 'hv'", "unique name", id="duplicate-names"),
        pytest.param(ACCOUNT + '\n[[account]]\nname = "HV"\nprovider = "altostrat"\n', 6,
                     "duplicate account name 'HV'", "unique name", id="duplicate-names-by-case"),
        pytest.param(ACCOUNT + 'base_url = "http://core.example.net/api/v2"\n', 4,
                     "http:// to a non-loopback host", "use https://", id="http-remote"),
        pytest.param(ACCOUNT + 'biling_day = 3\n', 4, "unknown key 'biling_day'", "did you mean 'billing_day'",
                     id="unknown-key-typo"),
        pytest.param('colour = "red"\n' + ACCOUNT, 1, "unknown key 'colour'", "allowed here", id="unknown-top-key"),
        pytest.param(ACCOUNT + "billing_day = 32\n", 4, "billing_day 32", "1 to 31", id="billing-day-32"),
        pytest.param(ACCOUNT + "billing_day = 0\n", 4, "billing_day 0", "1 to 31", id="billing-day-0"),
        pytest.param(ACCOUNT + 'billing_day = "5"\n', 4, "billing_day '5'", "1 to 31", id="billing-day-str"),
        pytest.param(ACCOUNT + 'token = "hunter2-secret"\n', 4, "tokens do not belong", "bwtui auth set",
                     id="token-in-config"),
        pytest.param(ACCOUNT + 'path_prefix = "/vpn"\n', 4, "only applies to altostrat", "remove", id="prefix-hv"),
        pytest.param(ACCOUNT + '\n[account.thresholds]\nwarn_out = "fast"\n', 6, "not a rate", '"500M"',
                     id="bad-threshold"),
        pytest.param(ACCOUNT + '\n[account.thresholds]\nwarn_out = "2G"\ncrit_out = "1G"\n', 6,
                     "above the critical", "at most", id="warn-above-crit"),
        pytest.param('[account]\nname = "hv"\nprovider = "hivelocity"\n', 1, "array of tables", "[[account]]",
                     id="single-brackets"),
        pytest.param('[[account]]\nname = "hv prod"\nprovider = "hivelocity"\n', 2, "may only hold", "letters",
                     id="bad-name"),
        pytest.param('[[account]]\nprovider = "hivelocity"\n', 1, "has no name", "add name", id="no-name"),
        pytest.param('[poll]\nmax_concurrency = 0\n', 2, "max_concurrency", "at least 1", id="poll-concurrency"),
    ],
)
def test_config_errors_name_file_line_and_fix(tmp_path: Path, text: str, line: int, problem: str, fix: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    head, _, fix_text = message.partition(". Fix: ")
    assert problem in head, message
    assert fix in fix_text, message
    assert "hunter2-secret" not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://127.9.9.9/", "http://localhost:1/",
                                 "http://[::1]:8000/api", "https://core.hivelocity.net/api/v2"])
def test_http_allowed_only_for_loopback(url: str) -> None:
    config = parse_config_text(ACCOUNT + f'base_url = "{url}"\n', "c.toml")
    assert config.accounts[0].base_url == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://localhost.evil.com/", "ftp://127.0.0.1/",
                                 "https://user:pw@host/"])
def test_unsafe_base_urls_are_rejected(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(ACCOUNT + f'base_url = "{url}"\n', "c.toml")
    assert str(caught.value).startswith("c.toml:4: ")
    assert "pw@" not in str(caught.value).split("Fix:")[1]


def test_missing_default_file_is_a_first_run(tmp_path: Path, isolated_home: IsolatedHome) -> None:
    config = load_config(None)
    assert config.accounts == [] and config.path is None
    assert paths.default_config_file() == isolated_home.config / "bwtui" / "config.toml"


def test_missing_explicit_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"not found \(named by --config\)"):
        load_config(tmp_path / "nope.toml")
    monkeypatch.setenv("BWTUI_CONFIG", str(tmp_path / "env.toml"))
    with pytest.raises(ConfigError, match=r"env.toml: config file not found \(named by \$BWTUI_CONFIG\)"):
        load_config(None)


def test_discovery_order_flag_then_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = paths.default_config_file()
    default.parent.mkdir(parents=True)
    default.write_text('[[account]]\nname = "from-default"\nprovider = "altostrat"\n')
    env_file = write(tmp_path, '[[account]]\nname = "from-env"\nprovider = "altostrat"\n', "env.toml")
    flag_file = write(tmp_path, '[[account]]\nname = "from-flag"\nprovider = "altostrat"\n', "flag.toml")

    assert load_config(None).accounts[0].name == "from-default"
    monkeypatch.setenv("BWTUI_CONFIG", str(env_file))
    assert load_config(None).accounts[0].name == "from-env"
    assert load_config(flag_file).accounts[0].name == "from-flag"
    assert paths.locate_config(str(flag_file)).source == "--config"
    assert paths.locate_config(None).source == "$BWTUI_CONFIG"


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "ansi"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"config.toml:2: the config file is not valid UTF-8"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500M", 500e6), ("500m", 500e6), ("1.5G", 1.5e9), ("800k", 800e3), ("800K", 800e3), ("2T", 2e12),
     ("100", 100.0), ("500Mbps", 500e6), ("500 Mbit/s", 500e6), (" 1e3k ", 1e6), ("10bps", 10.0)],
)
def test_parse_si(text: str, expected: float) -> None:
    assert parse_si(text) == expected


@pytest.mark.parametrize("text", ["", "M", "fast", "5Q", "-5M", "inf", "nan", "5 M M", "1,5G"])
def test_parse_si_rejects_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="k, M, G or T|at least 0"):
        parse_si(text)


COMMENTED = """\
# bwtui config: edited by hand
theme = "ansi"  # the 16-colour theme

# production servers
[[account]]
name = "hv-prod"   # main key
provider = "hivelocity"

[account.thresholds]
warn_out = "500M"  # page me

# ---- VPNs ----

# the office VPN
[[account]]
name = "vpn"
provider = "altostrat"

# end of file
"""


def test_account_add_keeps_comments_and_validates(tmp_path: Path) -> None:
    path = write(tmp_path, COMMENTED)
    config = add_account(path, {"name": "hv-new", "provider": "hivelocity", "billing_day": 5, "base_url": None})
    text = path.read_text()
    assert text.startswith(COMMENTED)
    assert [a.name for a in config.accounts] == ["hv-prod", "vpn", "hv-new"]
    assert [a.name for a in load_config(path).accounts] == ["hv-prod", "vpn", "hv-new"]
    assert load_config(path).accounts[2].billing_day == 5
    assert "base_url" not in text.split("hv-new")[1]


def test_account_remove_keeps_other_comments(tmp_path: Path) -> None:
    path = write(tmp_path, COMMENTED)
    remove_account(path, "hv-prod")
    text = path.read_text()
    assert [a.name for a in load_config(path).accounts] == ["vpn"]
    for kept in ("# bwtui config: edited by hand", "# the 16-colour theme", "# ---- VPNs ----",
                 "# the office VPN", "# end of file"):
        assert kept in text
    for gone in ("hv-prod", "# main key", "# page me", "# production servers", "warn_out"):
        assert gone not in text

    remove_account(path, "vpn")
    text = path.read_text()
    assert load_config(path).accounts == []
    assert "# the office VPN" not in text and "# ---- VPNs ----" in text and "# end of file" in text


def test_failed_edit_leaves_the_old_file_intact(tmp_path: Path) -> None:
    path = write(tmp_path, COMMENTED)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="use https://"):
        add_account(path, {"name": "x", "provider": "hivelocity", "base_url": "http://203.0.113.9/api"})
    with pytest.raises(ConfigError, match="already exists"):
        add_account(path, {"name": "vpn", "provider": "altostrat"})
    with pytest.raises(ConfigError, match="no account named 'ghost'"):
        remove_account(path, "ghost")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # no temp files left


def test_edit_refuses_an_already_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, ACCOUNT + "billing_day = 99\n")
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"config.toml:4: billing_day 99"):
        add_account(path, {"name": "x", "provider": "altostrat"})
    assert path.read_bytes() == before


def test_add_creates_file_and_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    add_account(path, {"name": "a", "provider": "altostrat", "path_prefix": ""})
    config = load_config(path)
    assert config.accounts[0].path_prefix == ""


def test_edit_keeps_file_mode_and_follows_symlinks(tmp_path: Path) -> None:
    real = write(tmp_path, ACCOUNT, "real.toml")
    real.chmod(0o640)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    add_account(link, {"name": "b", "provider": "altostrat"})
    assert link.is_symlink()
    assert [a.name for a in load_config(real).accounts] == ["hv", "b"]
    assert real.stat().st_mode & 0o777 == 0o640
