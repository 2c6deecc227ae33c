"""The host's shared request-budget ledger: several processes, one budget per budget group."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwtui.model import BillingTerms, RateLimit, Resource
from bwtui.polling.ledger import LIVE_S, PACED_HEADROOM, Ledger, open_ledger

GROUP = "hivelocity@core.hivelocity.net"
NOW = 1_767_225_600.0


def figures(remaining: int, reset_s: float, at: float = NOW, limit: int = 3600) -> RateLimit:
    return RateLimit(limit=limit, remaining=remaining, reset_s=reset_s, observed_at=at)


def test_two_processes_see_each_others_spending_and_the_providers_figures(tmp_path: Path) -> None:
    path = tmp_path / "budget.sqlite3"
    monitor, status = Ledger(path, process="monitor"), Ledger(path, process="status")
    assert status.read(GROUP, NOW).remaining is None  # nothing known before the first answer
    view = monitor.sync(GROUP, NOW, spent=10, figures=figures(3000, 1800), demand_rps=0.5)
    assert view.remaining == 3000 and view.limit == 3600 and view.window_end == NOW + 1800
    seen = status.read(GROUP, NOW + 1)
    assert seen.remaining == 3000 and seen.paced_rps == 0.5 and seen.processes == 2
    status.sync(GROUP, NOW + 2, spent=40, kind="oneshot")
    assert monitor.read(GROUP, NOW + 3).remaining == 2960
    # A later answer in the same window can only lower the estimate ...
    assert monitor.sync(GROUP, NOW + 4, figures=figures(2990, 1796, NOW + 4)).remaining == 2960
    # ... and a reset well after the known one starts a new window.
    assert monitor.sync(GROUP, NOW + 5, figures=figures(3599, 3600, NOW + 5)).remaining == 3599


def test_the_window_resets_when_its_end_has_passed(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "b.sqlite3")
    ledger.sync(GROUP, NOW, figures=figures(3, 60))
    assert ledger.read(GROUP, NOW + 30).remaining == 3
    later = ledger.read(GROUP, NOW + 62)
    assert later.remaining == 3600 and later.window_end is None


def test_a_one_shot_claim_leaves_what_the_monitors_need_until_the_reset(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    monitor, status = Ledger(path, process="m"), Ledger(path, process="s")
    monitor.sync(GROUP, NOW, figures=figures(3000, 1000), demand_rps=2.0)  # needs 2,000 by the reset
    kept = int(2.0 * 1000 * PACED_HEADROOM)  # and some slack
    granted, _ = status.claim(GROUP, NOW, 401, reserve=36)
    assert granted == 401
    granted, view = status.claim(GROUP, NOW, 2000, reserve=36)
    assert granted == 3000 - 401 - 36 - kept and view.remaining == 3000 - 401 - granted
    assert status.claim(GROUP, NOW, 401, reserve=36, all_or_nothing=True)[0] == 0
    # A monitor that stopped syncing no longer holds its claim.
    assert status.claim(GROUP, NOW + LIVE_S + 1, 100, reserve=36)[0] == 100


def test_paced_processes_share_the_rate_when_together_they_need_more(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    one, two = Ledger(path, process="1"), Ledger(path, process="2")
    one.sync(GROUP, NOW, figures=figures(3600, 3600), demand_rps=0.72)
    view = two.sync(GROUP, NOW, demand_rps=0.72)
    assert view.share(1.0) == pytest.approx(0.5)
    assert view.share(2.0) == 1.0  # both fit: nobody is held back


def test_a_block_set_by_one_process_is_seen_by_the_others(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    one, two = Ledger(path, process="1"), Ledger(path, process="2")
    one.sync(GROUP, NOW, figures=figures(0, 900), block=(NOW + 900, "429"))
    assert two.read(GROUP, NOW + 1).blocked_until == NOW + 900
    assert two.claim(GROUP, NOW + 1, 5)[0] == 0


def test_listings_are_kept_for_a_one_shot_short_of_budget(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "b.sqlite3")
    resources = (
        Resource("hv", "hivelocity", "service", "1", "web [1]", "TPA1", billing=BillingTerms(notes=("a",))),
        Resource("hv", "hivelocity", "service", "2", "db"),
    )
    ledger.save_listing("hv", "hivelocity", resources, NOW)
    loaded = ledger.load_listing("hv", "hivelocity")
    assert loaded == (resources, NOW)
    assert ledger.load_listing("hv", "altostrat") is None


def test_an_unusable_state_dir_means_no_shared_budget_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state dir should be")
    assert open_ledger(blocker / "budget.sqlite3") is None


def test_processes_spending_at_once_lose_no_update(tmp_path: Path) -> None:
    """Three real processes claim and spend on one file at the same moment: every request counts."""
    import subprocess
    import sys

    path = tmp_path / "budget.sqlite3"
    Ledger(path).sync(GROUP, NOW, figures=figures(3000, 3600))
    code = (
        "import sys; from pathlib import Path; from bwtui.polling.ledger import Ledger\n"
        "ledger = Ledger(Path(sys.argv[1]), process=sys.argv[2])\n"
        "granted = 0\n"
        "for i in range(60):\n"
        f"    ledger.sync({GROUP!r}, {NOW} + i / 100, spent=2, demand_rps=0.1)\n"
        f"    granted += ledger.claim({GROUP!r}, {NOW} + i / 100, 3, reserve=36)[0]\n"
        "print(granted)\n"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", code, str(path), f"p{n}"], stdout=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    granted = sum(int(run.communicate(timeout=120)[0]) for run in runs)
    remaining = Ledger(path).read(GROUP, NOW + 1).remaining
    assert remaining == 3000 - 3 * 60 * 2 - granted
