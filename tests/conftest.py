"""Fixtures every test shares: an isolated home (for every test), keyrings, the simulator.

- ``isolated_home`` (autouse): HOME and every XDG dir under the test's ``tmp_path`` (``home``,
  ``config``, ``state``, ``data``, ``cache``, ``runtime``; see ``isolation.py``), no ``BWTUI_*``
  variable from the developer's shell, and keyring's "fail" backend (a jump host without
  D-Bus), also for child processes. Tests that need a working keyring ask for ``memory_keyring``.
- ``serve_simulator``: starts the project's simulated provider APIs on 127.0.0.1 with the given
  ``SimulatorConfig`` fields, stopped after the test; ``simulator`` is the common small one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from bwtui import secrets
from bwtui.simulator import Simulator, SimulatorConfig, serve_in_thread
from isolation import DROPPED_PREFIXES, FAIL_KEYRING, IsolatedHome, home_dirs
from keyrings import MemoryKeyring


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IsolatedHome]:
    for name in list(os.environ):
        if name.startswith(DROPPED_PREFIXES):
            monkeypatch.delenv(name)
    for var, path in home_dirs(tmp_path).items():
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FAIL_KEYRING)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # restored after the test
    keyring.set_keyring(fail.Keyring())
    yield IsolatedHome.under(tmp_path)
    hung = secrets._hung_thread  # a keyring call a test left hanging on purpose
    if hung is not None:
        hung.join(5)
    secrets._hung_thread = None


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    """A working keyring that keeps tokens in memory (``.store``) for this test."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def serve_simulator() -> Iterator[Callable[..., tuple[Simulator, Any]]]:
    """``serve_simulator(**config) -> (sim, server)``: simulated APIs on 127.0.0.1 for this test."""
    with ExitStack() as stack:

        def start(**config: Any) -> tuple[Simulator, Any]:
            sim = Simulator(SimulatorConfig(**config))
            return sim, stack.enter_context(serve_in_thread(sim))

        yield start


@pytest.fixture
def simulator(serve_simulator: Callable[..., tuple[Simulator, Any]]) -> tuple[Simulator, Any]:
    """A small simulator (seed 3, four Hivelocity services, two Altostrat instances) on loopback."""
    return serve_simulator(seed=3, hivelocity_services=4, altostrat_instances=2)
