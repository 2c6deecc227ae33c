"""Building blocks of the poller: backoff and the shared request budget."""
