"""Sub-commands of ``bwtui``: each module has ``add_parser(subparsers)`` and ``run(args)``."""
