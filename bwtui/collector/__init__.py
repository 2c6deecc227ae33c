"""One collector per host: ``bwtui serve`` polls, keeps history, feeds Prometheus and viewers.
"""
