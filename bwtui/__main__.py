"""``python -m bwtui``."""

from bwtui.cli import main

raise SystemExit(main())
