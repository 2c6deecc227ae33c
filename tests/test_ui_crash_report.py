"""A crash report must never show local variables: a frame may hold an API token."""

from __future__ import annotations

from bwtui.ui.app import BwtuiApp


async def test_crash_report_has_no_local_variables() -> None:
    app = BwtuiApp([], first_run=True, demo_factory=lambda: None)
    async with app.run_test():
        # Built at run time, so the source lines in the traceback cannot contain it.
        token = "-".join(["hv", "secret", "token", str(41 + 82)])  # noqa: F841
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            app._fatal_error()
        report = "".join(
            segment.text for renderable in app._exit_renderables for segment in renderable.segments
        )
    assert "RuntimeError" in report and "boom" in report
    assert "hv-secret-token-123" not in report
