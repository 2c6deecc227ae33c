"""Run a command in a real pseudo-terminal and read its screen with ``pyte``.

Used by the real-terminal smoke test and by ``bench/bench_tui.py``. The child gets a pty of a
given size as its controlling terminal, an isolated environment (temporary HOME and XDG dirs, the
``fail`` keyring backend, no ``BWTUI_*`` variables) and a configurable ``TERM``. A reader thread
drains the pty continuously (so the child never blocks on a full pty buffer), keeps the raw
bytes, counts them and notes when each chunk arrived; a second thread feeds them into a ``pyte``
screen. ``pyte`` is a pure-Python terminal that parses about 1 MB/s (a full 120x40 redraw in
colour takes it 20-60 ms); parsing apart from reading keeps that cost out of the arrival times
that :meth:`PtySession.wait_until` reports, so they time the program, not this terminal.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pyte
from isolation import DROPPED_PREFIXES, FAIL_KEYRING, home_dirs

ENTER_ALT_SCREEN = b"\x1b[?1049h"
LEAVE_ALT_SCREEN = b"\x1b[?1049l"

# Variables that would make the child behave differently from a fresh user shell.
_DROPPED_ENV = {
    "COLUMNS",
    "LINES",
    "NO_COLOR",
    "FORCE_COLOR",
    "COLORTERM",
    "TMUX",
    "TMUX_PANE",
    "TERM_PROGRAM",
    "TERM_PROGRAM_VERSION",
    "STY",
    "PYTEST_CURRENT_TEST",
}
_DROPPED_PREFIXES = (*DROPPED_PREFIXES, "TEXTUAL", "PYTHON_KEYRING")


# CSI sequences with a '<' or '=' prefix (kitty keyboard protocol pop/query) that pyte does not
# parse and would print as text; they are removed before the bytes reach the pyte screen.
_UNPARSED_BY_PYTE = re.compile(rb"\x1b\[[<=][0-9;]*[@-~]")
_PARTIAL_CSI = re.compile(rb"\x1b(\[[<=>?]?[0-9;]*)?\Z")


class PtyTimeout(AssertionError):
    """A wait on the pty screen ran out of time; the message holds the screen as it was."""


def isolated_env(
    root: Path, *, term: str = "xterm-256color", extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """An environment for the child with HOME and XDG dirs under ``root`` and no keyring."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _DROPPED_ENV and not key.startswith(_DROPPED_PREFIXES)
    }
    dirs = home_dirs(root)
    for path in dirs.values():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    env.update({key: str(path) for key, path in dirs.items()})
    env["TERM"] = term
    env["PYTHON_KEYRING_BACKEND"] = FAIL_KEYRING
    env.setdefault("LANG", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def _set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtySession:
    """One command running in a pty of ``cols`` × ``rows``; use as a context manager.

    ``bytes_received`` counts every byte the child wrote to the terminal; ``raw`` holds them
    (only the last ``raw_limit`` bytes when a limit is given); ``chunks`` records
    ``(monotonic_time, n_bytes)`` for every read, for rate measurements.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 100,
        rows: int = 30,
        term: str = "xterm-256color",
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        raw_limit: int | None = None,
        answer_queries: bool = True,
    ) -> None:
        self.argv = list(argv)
        self.cols = cols
        self.rows = rows
        self.term = term
        self.raw_limit = raw_limit
        self._tmp = Path(tempfile.mkdtemp(prefix="bwtui-pty-"))
        self.env = isolated_env(self._tmp, term=term, extra=env)
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.bytes_received = 0
        self.chunks: list[tuple[float, int]] = []
        self.last_output_at: float | None = None  # arrival of the last chunk read
        self.shown_at: float | None = None  # arrival of the last chunk the screen shows
        self._cond = threading.Condition()
        self._inbox: deque[tuple[float, bytes]] = deque()  # read, not yet on the screen
        self._inbox_ready = threading.Condition()
        self._read_done = False
        self._closed = False
        self._eof = False
        self._pending = b""

        master, slave = os.openpty()
        _set_winsize(slave, cols, rows)
        self._master = master
        self.slave_name = os.ttyname(slave)  # to inspect the terminal (`stty -a`) after exit
        if answer_queries:
            # Behave like a terminal: answer device-attribute and cursor-position queries.
            self.screen.write_process_input = self._answer  # type: ignore[method-assign]
        self.started_at = time.monotonic()
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=self.env,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_take_controlling_tty,
                close_fds=True,
            )
        except BaseException:
            os.close(master)
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read_loop, name="pty-reader", daemon=True)
        self._parser = threading.Thread(target=self._parse_loop, name="pty-parser", daemon=True)
        self._reader.start()
        self._parser.start()

    # -- reading -----------------------------------------------------------------------------

    def _answer(self, data: str) -> None:
        try:
            os.write(self._master, data.encode())
        except OSError:
            pass

    def _read_loop(self) -> None:
        fd = self._master
        while True:
            try:
                ready, _, _ = select.select([fd], [], [], 0.25)
                if not ready:
                    if self._closed:
                        break
                    continue
                data = os.read(fd, 65536)
            except OSError:  # EIO once the child and every holder of the slave are gone
                data = b""
            now = time.monotonic()
            with self._inbox_ready:
                if data:
                    self.bytes_received += len(data)
                    self.chunks.append((now, len(data)))
                    self.last_output_at = now
                    self._inbox.append((now, data))
                else:
                    self._read_done = True
                self._inbox_ready.notify()
            if not data:
                return
        with self._inbox_ready:
            self._read_done = True
            self._inbox_ready.notify()

    def _parse_loop(self) -> None:
        """Feed what was read into the screen, noting when the shown output had arrived."""
        while True:
            with self._inbox_ready:
                while not self._inbox and not self._read_done:
                    self._inbox_ready.wait()
                batch = list(self._inbox)
                self._inbox.clear()
                done = self._read_done
            with self._cond:
                for arrived, data in batch:
                    self.raw.extend(data)
                    if self.raw_limit is not None and len(self.raw) > self.raw_limit:
                        del self.raw[: len(self.raw) - self.raw_limit]
                    self._feed_screen(data)
                    self.shown_at = arrived
                if done:
                    self._eof = True
                self._cond.notify_all()
            if done:
                return

    def _feed_screen(self, data: bytes) -> None:
        data = self._pending + data
        partial = _PARTIAL_CSI.search(data, max(0, len(data) - 32))
        self._pending = data[partial.start() :] if partial else b""
        if partial:
            data = data[: partial.start()]
        self._stream.feed(_UNPARSED_BY_PYTE.sub(b"", data))

    @property
    def lock(self) -> threading.Condition:
        """Hold this to read ``screen`` while output keeps arriving."""
        return self._cond

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def eof(self) -> bool:
        """True once the terminal has been closed by the child."""
        return self._eof

    def screen_lines(self) -> list[str]:
        """The visible screen, one string per row (trailing spaces kept)."""
        with self._cond:
            return list(self.screen.display)

    def screen_state(self) -> tuple[tuple[tuple[str, str, str, bool, bool], ...], ...]:
        """The visible screen with colours and reverse/bold per cell, for change detection."""
        with self._cond:
            return self._state()

    def _state(self) -> tuple[tuple[tuple[str, str, str, bool, bool], ...], ...]:
        buffer, cols = self.screen.buffer, self.screen.columns
        rows = []
        for y in range(self.screen.lines):
            line = buffer[y]
            rows.append(
                tuple(
                    (cell.data, cell.fg, cell.bg, cell.reverse, cell.bold)
                    for cell in (line[x] for x in range(cols))
                )
            )
        return tuple(rows)

    def screen_text(self) -> str:
        """The visible screen as text, rows joined by newlines, trailing spaces removed."""
        return "\n".join(line.rstrip() for line in self.screen_lines())

    def raw_bytes(self) -> bytes:
        with self._cond:
            return bytes(self.raw)

    def wait_until(
        self, predicate: Callable[[], bool], timeout: float, *, what: str = "condition"
    ) -> float:
        """Wait until ``predicate()`` (evaluated after each batch of output is on the screen) holds.

        Returns the monotonic time it first held (when waiting was needed: the arrival of the
        output that made it true, before this terminal parsed it); raises :class:`PtyTimeout` (with the
        screen in the message) when ``timeout`` seconds pass or the child closes the terminal.
        """
        deadline = time.monotonic() + timeout
        waited = False
        with self._cond:
            while True:
                if predicate():
                    # After waiting, the output that made it true is the last one shown.
                    if waited and self.shown_at is not None:
                        return self.shown_at
                    return time.monotonic()
                waited = True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof:
                    break
                self._cond.wait(min(remaining, 0.05))
        state = "the terminal was closed" if self._eof else f"{timeout:.1f} s passed"
        raise PtyTimeout(
            f"waiting for {what}: {state}; exit code {self.process.poll()}; screen:\n"
            + self.screen_text()
        )

    def wait_for_text(self, text: str | Sequence[str], timeout: float = 10.0) -> float:
        """Wait until every given text is visible on the screen; returns the time it was."""
        texts = [text] if isinstance(text, str) else list(text)

        def visible() -> bool:
            shown = "\n".join(self.screen.display)
            return all(t in shown for t in texts)

        return self.wait_until(visible, timeout, what=f"text {texts!r}")

    def wait_for_change(self, before: object, timeout: float) -> float:
        """Wait until the screen differs from ``before``.

        ``before`` is a ``screen_state()`` result (text and colours compared) or a
        ``screen_lines()`` result (text only).
        """
        if isinstance(before, list):
            changed = lambda: list(self.screen.display) != before  # noqa: E731
        else:
            changed = lambda: self._state() != before  # noqa: E731
        return self.wait_until(changed, timeout, what="the screen to change")

    def wait_quiet(self, quiet_s: float, timeout: float) -> bool:
        """Wait until no output arrived for ``quiet_s`` seconds and the screen shows all of it;
        False if it never went quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.last_output_at or self.started_at
            idle = time.monotonic() - last
            if idle >= quiet_s and self.shown_at == self.last_output_at:
                return True
            # quiet, but the screen is still catching up: look again in a moment
            wait = quiet_s - idle if idle < quiet_s else 0.002
            time.sleep(max(0.0, min(wait, deadline - time.monotonic())) + 0.001)
        return False

    # -- writing and lifetime ----------------------------------------------------------------

    def send_keys(self, keys: bytes | str) -> None:
        """Type ``keys`` into the terminal (``str`` is UTF-8 encoded)."""
        data = keys.encode() if isinstance(keys, str) else keys
        os.write(self._master, data)

    def resize(self, cols: int, rows: int) -> None:
        """Change the terminal size and tell the child (SIGWINCH)."""
        with self._cond:
            self.cols, self.rows = cols, rows
            self.screen.resize(rows, cols)
        _set_winsize(self._master, cols, rows)
        try:
            os.killpg(self.process.pid, signal.SIGWINCH)
        except ProcessLookupError:
            pass

    def wait_exit(self, timeout: float = 10.0) -> int:
        """Wait for the child to exit and for its last output to be read; return the code."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=2.0)
        self._parser.join(timeout=2.0)
        return code

    def terminate(self, grace_s: float = 3.0) -> int | None:
        """SIGTERM the child's process group, then SIGKILL after ``grace_s``."""
        if self.process.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=grace_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        return self.process.poll()

    def close(self) -> None:
        """Stop the child if still running, stop reading, remove the temporary dirs."""
        self.terminate()
        self._closed = True
        self._reader.join(timeout=2.0)
        self._parser.join(timeout=2.0)
        try:
            os.close(self._master)
        except OSError:
            pass
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> PtySession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _take_controlling_tty() -> None:
    """In the child, after setsid: make the pty on stdin the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def restored_terminal(raw: bytes) -> bool:
    """True when the output left the alternate screen after last entering it."""
    entered = raw.rfind(ENTER_ALT_SCREEN)
    left = raw.rfind(LEAVE_ALT_SCREEN)
    return left != -1 and left > entered


def highlighted_rows(screen: pyte.Screen) -> tuple[tuple[int, str], ...]:
    """Rows whose main background colour no other row has (a cursor or selection bar).

    Returns ``(row, text)`` pairs; a change means the highlight moved or its row changed.
    Call with the session's lock held (inside a ``wait_until`` predicate) or after exit.
    """
    dominant = []
    for y in range(screen.lines):
        line = screen.buffer[y]
        counts: dict[str, int] = {}
        for x in range(screen.columns):
            bg = line[x].bg
            counts[bg] = counts.get(bg, 0) + 1
        dominant.append(max(counts, key=counts.__getitem__))
    seen: dict[str, int] = {}
    for bg in dominant:
        seen[bg] = seen.get(bg, 0) + 1
    display = screen.display
    return tuple((y, display[y]) for y, bg in enumerate(dominant) if seen[bg] == 1)


def spawn(argv: Sequence[str], **kwargs: object) -> PtySession:
    """Shorthand for :class:`PtySession`."""
    return PtySession(argv, **kwargs)  # type: ignore[arg-type]
