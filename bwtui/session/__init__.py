"""The monitor's Textual-free core, shared by every view (the TUI today, a collector and web
viewers later).

- ``core``: :class:`~bwtui.session.core.MonitorSession`, poll events in, ``Changes`` out.
- ``source``: the :class:`~bwtui.session.source.MonitorSource` interface (where events come
  from); ``live``: the implementation that polls from this process.
- ``store``: what is known (accounts, states, series, alerts, pause); ``history_sync``: the
  history buffer, flush policy and seed; ``alerts``: the threshold latch; ``billing``: billing
  figures and text; ``changes``: what one event changed.
- ``format`` and ``status``: figures and statuses as text, for any view.

Nothing here imports Textual (``tests/test_layers.py`` proves it) and everything type-checks
with ``mypy --strict``.
"""
