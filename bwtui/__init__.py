"""bwtui: a terminal bandwidth monitor for hosted servers and VPN instances."""

__version__ = "0.1.0"
