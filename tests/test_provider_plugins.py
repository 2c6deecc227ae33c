"""Providers as plug-ins: found through entry points, listed with versions, configured by name,
polled; a plug-in that fails to import is reported on its accounts and never crashes bwtui."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_support import forget_plugins, install_example, install_plugin

from bwtui.cli import main
from bwtui.clock import RealClock
from bwtui.config import ConfigError, parse_config_text
from bwtui.events import ResourceUpdated
from bwtui.poller import Poller
from bwtui.providers import ProviderLoadError, make_client, provider_names, provider_spec
from bwtui.providers.base import check_spec
from bwtui.runtime import build_runtime
from bwtui.testing import ContractTarget, FaultInjector, ProviderContract, serve_app

TOKEN = "example-token-0042"


@pytest.fixture(autouse=True)
def _clean_registry():
    forget_plugins()
    yield
    forget_plugins()


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_example(tmp_path / "site", monkeypatch)


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return install_plugin(
        tmp_path / "broken-site", monkeypatch, dist="bwtui-broken-provider", version="9.9.9",
        entry_points={"broken": "bwtui_broken:SPEC"},
        modules={"bwtui_broken": "import a_module_that_is_not_installed\n"},
    )


def test_builtin_providers_come_through_the_entry_point_group():
    assert provider_names()[:4] == ["hivelocity", "altostrat", "hetzner", "vultr"]
    for name in provider_names():
        spec = check_spec(provider_spec(name))
        assert spec.name == name and spec.create(name, "tok-1234").provider == name


def test_without_a_plugin_the_builtin_providers_are_known_without_reading_package_metadata():
    """importlib.metadata (email, zipfile, csv, every distribution's entry points) is skipped
    when no other distribution declares the group; what is found is what it would find."""
    from importlib import metadata

    from bwtui.providers.registry import BUILTIN, GROUP

    probe = ("import sys; from bwtui.providers import registry; "
             "print([(e.name, e.target, e.distribution, e.version) for e in registry().entries()], "
             "'importlib.metadata' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            check=True)
    entries, read_metadata = result.stdout.strip().rsplit(" ", 1)
    assert read_metadata == "False"
    declared = {p.name: p.value for p in metadata.entry_points(group=GROUP)}
    assert declared == BUILTIN  # bwtui's own entry points are exactly its table
    version = metadata.version("bwtui")
    assert entries == repr([(name, target, "bwtui", version) for name, target in BUILTIN.items()])


def test_a_plugin_or_a_path_only_importlib_metadata_reads_means_the_full_discovery(
        example, tmp_path, monkeypatch):
    from bwtui.providers.registry import scan_for_plugins

    bare = tmp_path / "bare"
    (bare / "other-1.0.dist-info").mkdir(parents=True)
    (bare / "other-1.0.dist-info" / "entry_points.txt").write_text("[console_scripts]\nx = y:z\n")
    (bare / "bwtui-7.7.dist-info").mkdir()
    assert scan_for_plugins([str(bare)]) == (False, "7.7")
    assert scan_for_plugins([str(bare), str(example)])[0] is True
    egg = tmp_path / "plugin.egg"
    egg.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip file on the path
    assert scan_for_plugins([str(bare), str(egg)])[0] is True

    class Elsewhere:  # a finder with distributions of its own (not in sys.path's folders)
        def find_distributions(self, context=None):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Elsewhere()])
    assert scan_for_plugins([str(bare)])[0] is True
    assert "example" in provider_names()  # found through importlib.metadata


def test_an_unknown_provider_is_a_config_error_listing_the_installed_ones(example):
    with pytest.raises(ConfigError) as caught:
        parse_config_text('[[account]]\nname = "x"\nprovider = "linode"\n', "c.toml")
    message = str(caught.value)
    assert message.startswith("c.toml:3: account 'x' has unknown provider 'linode'")
    for name in ("hivelocity", "altostrat", "hetzner", "vultr", "example"):
        assert f'"{name}"' in message.split("Fix:")[1]


@pytest.mark.parametrize(
    ("extra", "problem", "fix"),
    [
        ('price = "list"', "price 'list' is not one of: net, gross", "use one of: net, gross"),
        ('interface = "eth0"', "'interface' only applies to hivelocity accounts", "remove it"),
        ('tb_bytes = "lots"', "'tb_bytes' must be a whole number", "tb_bytes"),
        ('pricee = "net"', "unknown key 'pricee'", "did you mean 'price'"),
    ],
)
def test_provider_settings_are_declared_by_the_provider(extra, problem, fix):
    text = f'[[account]]\nname = "hz"\nprovider = "hetzner"\n{extra}\n'
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, "c.toml")
    head, _, fix_text = str(caught.value).partition(". Fix: ")
    assert head.startswith("c.toml:4: ") and problem in head
    assert fix in fix_text


def test_declared_settings_reach_the_client():
    config = parse_config_text('[[account]]\nname = "hz"\nprovider = "hetzner"\nprice = "gross"\nper_page = 10\n')
    account = config.accounts[0]
    assert dict(account.settings) == {"price": "gross", "per_page": 10}
    from bwtui.runtime import client_settings

    client = make_client("hetzner", "hz", "tok-1234", **client_settings(account))
    assert client.prices.kind == "gross" and client.per_page == 10


def test_a_plugin_is_listed_with_its_package_version(example, capsys):
    assert main(["providers"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("example "))
    assert "bwtui-example-provider" in line and "0.3.1" in line and " ok " in line
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "provider example: bwtui-example-provider 0.3.1" in capsys.readouterr().out
    records = {r["name"]: r for r in _providers_json(capsys)}
    assert records["example"]["settings"] == ["site"] and records["hetzner"]["budget_scope"] == "token"


def _providers_json(capsys) -> list[dict]:
    main(["providers", "--json"])
    return json.loads(capsys.readouterr().out)["providers"]


def test_a_plugin_that_fails_to_import_is_reported_not_fatal(broken, capsys, monkeypatch):
    assert "broken" in provider_names()
    with pytest.raises(ProviderLoadError, match="No module named 'a_module_that_is_not_installed'"):
        provider_spec("broken")
    assert main(["providers"]) == 1
    out = capsys.readouterr().out
    assert "broken" in out and "FAILED" in out and "a_module_that_is_not_installed" in out
    assert "hetzner" in out  # the others are still listed
    config = parse_config_text('[[account]]\nname = "b"\nprovider = "broken"\nregion = "x"\n')
    monkeypatch.setenv("BWTUI_TOKEN_B", "tok-1234")
    runtime = build_runtime(config.accounts[0])
    assert runtime.client is None
    assert runtime.provider_error and "could not be loaded" in runtime.provider_error
    assert runtime.credential_error == runtime.provider_error  # shown on the account today


def test_a_broken_plugin_account_shows_its_error_in_status_without_a_traceback(broken, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[[account]]\nname = "b"\nprovider = "broken"\n')
    result = subprocess.run(
        [sys.executable, "-m", "bwtui.cli", "--config", str(config), "status", "--json"],
        capture_output=True, text=True, timeout=60, env=_env(tmp_path),
    )
    assert "Traceback" not in result.stderr
    assert "could not be loaded" in result.stdout + result.stderr


def _env(tmp_path: Path) -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_STATE_HOME": str(tmp_path / "state"),
                "XDG_DATA_HOME": str(tmp_path / "data"), "BWTUI_TOKEN_B": "tok-1234",
                "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    return env


async def test_a_plugin_provider_is_polled(example):
    from bwtui_example import simulator

    with serve_app(simulator.app(TOKEN)) as server:
        config = parse_config_text(
            f'[[account]]\nname = "ex"\nprovider = "example"\nbase_url = "{server.base_url}"\nsite = "ams"\n'
        )
        runtime = build_runtime_with_token(config.accounts[0])
        updates: list[ResourceUpdated] = []
        poller = Poller([runtime], clock=RealClock(),
                        on_event=lambda e: updates.append(e) if isinstance(e, ResourceUpdated) else None)
        task = asyncio.create_task(poller.run())
        try:
            async with asyncio.timeout(20):
                while not any(u.state.usage is not None for u in updates):
                    await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await runtime.client.aclose()
    state = next(u.state for u in updates if u.state.usage is not None)
    assert state.resource.provider == "example" and state.resource.name == "edge [red]one[/red]"
    assert state.usage.period_out_bytes >= 5 * 10**9 and state.error is None


def build_runtime_with_token(account):
    import os

    os.environ["BWTUI_TOKEN_EX"] = TOKEN
    try:
        return build_runtime(account)
    finally:
        del os.environ["BWTUI_TOKEN_EX"]


class TestExamplePluginContract(ProviderContract):
    """The README's minimal plug-in passes the shipped contract kit with a happy-path simulator."""

    @pytest.fixture
    def target(self, example):
        from bwtui_example import SPEC, simulator

        app = FaultInjector(simulator.app(TOKEN), error_body=lambda code: {"message": f"failed with {code}"})
        with serve_app(app) as server:
            yield ContractTarget(spec=SPEC, token=TOKEN, base_url=server.base_url, faults=app,
                                 expected_ids=["n-1", "n-2"],
                                 expected_names={"n-1": "edge [red]one[/red]", "n-2": "core\x1b[2Jtwo"})


def test_an_auth_error_hint_names_where_the_providers_token_comes_from():
    from bwtui.hints import fix_hint

    assert "Security → API tokens" in fix_hint("auth", "hetzner", "hz-prod")
    assert "Account → API" in fix_hint("auth", "vultr", "vu")


@pytest.mark.parametrize("provider", ["hetzner", "vultr"])
def test_the_readme_config_examples_parse(provider):
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if f'provider = "{provider}"' in b]
    assert blocks
    for block in blocks:
        assert parse_config_text(block).accounts[0].provider == provider
        every_setting = re.sub(r"^# (\w+ = )", r"\1", block, flags=re.M)  # the commented settings too
        assert every_setting != block
        assert parse_config_text(every_setting).accounts[0].provider == provider
