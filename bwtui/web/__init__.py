"""``bwtui web``: the monitor in a browser, as a read-only wall screen attached to a collector.

- ``server``: the ``textual-serve`` server with bwtui's access rule (loopback, or a token),
  a content security policy that keeps the page on this host, and ``/healthz``;
- ``kiosk``: what each browser tab runs (a :class:`~bwtui.ui.kiosk.KioskApp` whose only source
  is the collector's feed: any number of tabs cost no provider request).
"""
