"""How a command ends: its exit code, the error that becomes exit 2, and shared last words.

Modules below the command line (``oneshot``, the monitor) raise :class:`UsageError`; the
command prints it as one line on stderr and returns :data:`EXIT_USAGE`. Nothing here imports
more than the standard library.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BROKEN = 1  # `bwtui providers`: an installed provider does not load (the rest are listed)
EXIT_USAGE = 2  # a usage or config error: nothing was done
EXIT_FAILED = 3  # something failed (a token missing or rejected, an account not answering)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
# `bwtui check` speaks the monitoring-plugin convention instead: 0 OK, 1 WARNING, 2 CRITICAL,
# 3 UNKNOWN (``bwtui.thresholds.Level.exit_code``).

# How to add the first account: one line every "no accounts" message ends with. No '|' in it
# (a Nagios plugin's output cuts its text at the first '|', where the perfdata begins).
ADD_ACCOUNT_FIX = "`bwtui account add NAME --provider PROVIDER` (`bwtui providers` lists them)"

NOT_A_TERMINAL = (
    "bwtui: the monitor needs a terminal (stdout is not a TTY).\n"
    "For scripts and cron jobs use `bwtui status` (add --json or --csv)."
)


class UsageError(Exception):
    """A usage or config problem: printed as one line on stderr, exit code 2."""


class ConfigProblem(UsageError):
    """The config file could not be used (its message names the file, line and fix)."""
