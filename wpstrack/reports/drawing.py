"""Drawing a report's charts in a helper process while the PDF is being laid out.

vl-convert holds Python's lock while it draws (about 50 ms a chart, 1.5-2 s for the 33 charts of
the DHS annual report), so a thread would not help; a second process does. ``Drawing`` starts one
(``python -m wpstrack.reports.chart_worker``: it imports vl-convert only, never Django or the
database) and sends it every chart the cache lacks, the last first; meanwhile this process renders the
template and WeasyPrint parses the HTML and computes its styles, all before it asks for the first
image. The images' addresses are ``wpstrack-chart:<key>``, which the PDF's URL fetcher answers
from here (``Drawing.fetch``): with the helper's drawing when it is there, else by drawing the
chart here at once, so the two processes meet in the middle and neither waits.

A report with few charts draws them in this process (starting one costs about half a second), and
so does any report whose helper cannot start or fails: the PDF is the same either way.

The helper is disposable, and the build never depends on it (under gunicorn, the db_worker or a
command alike): nothing waits for it while the PDF is made (a chart it has not drawn yet is
drawn here), a helper that dies, is killed or answers nonsense fails its pending charts at once,
and one that hangs is given up after ``WAIT_SECONDS`` by anyone who does wait. ``close`` (also
run when the ``Drawing`` is collected, and at exit) kills it, reaps it (no zombie) and lets its
two threads end; the helper itself exits when this process is gone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import weakref
from concurrent.futures import Future
from concurrent.futures import TimeoutError as WaitedTooLong
from typing import IO, Any

from wpstrack.lib import charts
from wpstrack.reports.document import Figure, cached_svg, keep_svg, spec_key

SCHEME = "wpstrack-chart:"
IN_A_PROCESS_FROM = 8  # charts; fewer are drawn here
WAIT_SECONDS = 20  # for one chart (it takes about 50 ms), before giving the helper up
STOP_SECONDS = 5  # for the helper to be reaped and the threads to end, once it is killed
HELPER = ["-m", "wpstrack.reports.chart_worker"]  # the helper's arguments to this Python
log = logging.getLogger(__name__)


class Drawing:
    """The charts of one report being drawn; use as a context manager."""

    def __init__(self, figures: list[Figure], *, in_a_process: bool | None = None) -> None:
        self.figures = {spec_key(f.chart): f for f in figures}
        self.pending: dict[str, Future[str]] = {}
        self.process: subprocess.Popen[str] | None = None
        self.threads: list[threading.Thread] = []
        self._stop: weakref.finalize | None = None
        missing = [k for k in self.figures if cached_svg(k) is None]
        if in_a_process is None:
            in_a_process = len(missing) >= IN_A_PROCESS_FROM and _python() is not None
        if in_a_process and missing:
            try:
                self._start(missing)
            except Exception:  # no process to be had: draw them here when asked
                log.warning("charts: no helper process; drawing in this one", exc_info=True)
                self.close()

    def _start(self, keys: list[str]) -> None:
        python = _python() or sys.executable
        self.process = subprocess.Popen(  # noqa: S603 - our own module, run by this Python
            [python, *HELPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            close_fds=True,  # a gunicorn worker's sockets stay its own
        )
        # Killed and reaped however this object ends: closed, collected, or at exit.
        self._stop = weakref.finalize(self, _stop, self.process, [])
        keys = keys[::-1]  # from the last: this process draws from the first when it must
        self.pending = {key: Future() for key in keys}
        specs = [[n, self.figures[key].chart.spec] for n, key in enumerate(keys)]
        assert self.process.stdin is not None and self.process.stdout is not None
        self.threads = [
            threading.Thread(
                target=_send, args=(self.process.stdin, specs), daemon=True, name="charts-send"
            ),
            threading.Thread(
                target=_receive,
                args=(self.process.stdout, keys, dict(self.pending)),
                daemon=True,
                name="charts-receive",
            ),
        ]
        for thread in self.threads:
            thread.start()

    def __enter__(self) -> Drawing:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the helper: kill it, reap it, let the threads end (safe to call again)."""
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()
        if self.process is not None:
            _stop(self.process, self.threads)
            if self._stop is not None:
                self._stop.detach()
            self.process, self.threads = None, []

    def _give_up(self, why: str) -> None:
        """The helper hangs: stop it, and draw whatever it still owes here."""
        log.warning("charts: the helper process %s; drawing in this one", why)
        if self.process is not None:
            _stop(self.process, self.threads)

    def src(self, figure: Figure) -> str | None:
        """The address of a chart still being drawn (None: it is drawn, take its SVG)."""
        key = spec_key(figure.chart)
        return SCHEME + key if key in self.pending else None

    def svg(self, key: str, *, wait: bool = False) -> str:
        """The chart's accessible SVG: the helper's when it has drawn it, else drawn here at
        once (or, with ``wait``, once the helper has drawn it). The helper starts from the last
        chart and WeasyPrint asks from the first, so the two share the work."""
        found = cached_svg(key)
        if found is not None:
            return found
        figure = self.figures[key]
        future = self.pending.pop(key, None)
        if future is not None and (wait or future.done()):
            try:
                chart = figure.chart
                svg = charts.label_svg(
                    future.result(timeout=WAIT_SECONDS), chart.title, chart.description
                )
                keep_svg(key, svg)
                return svg
            except WaitedTooLong:
                self._give_up(f"drew nothing in {WAIT_SECONDS} s")
            except Exception as error:
                log.warning("charts: the helper process failed (%s); drawing here", error)
        elif future is not None:
            future.cancel()  # the helper's copy, if it still draws one, is not waited for
        return figure.svg()

    def fetch(self, url: str, *, wait: bool = False) -> bytes | None:
        """The SVG for a ``wpstrack-chart:`` address; None for any other."""
        key = url[len(SCHEME) :] if url.startswith(SCHEME) else ""
        return print_svg(self.svg(key, wait=wait)).encode() if key in self.figures else None


_EMPTY_PATHS = re.compile(
    r'<path class="(?:background|foreground)"[^>]*(?:d="M0,0h0v0h0Z"|display="none")[^>]*/>'
)
_SCREEN_ONLY = re.compile(r'\s(?:class|role|aria-[a-z]+|pointer-events)="[^"]*"')
_LABELS = re.compile(r"<title>[^<]*</title>(?:<desc>[^<]*</desc>)?")
_PLAIN_GROUP = re.compile(r"<g>((?:(?!<g[ >]|</g>).)*)</g>", re.S)


def print_svg(svg: str) -> str:
    """The SVG without what only screens use (roles, labels and classes: the image's ``alt``
    names it in the PDF), empty and hidden paths, and groups that carry nothing: WeasyPrint
    draws each element in Python, so a third fewer elements draw a third faster."""
    svg = _LABELS.sub("", _SCREEN_ONLY.sub("", _EMPTY_PATHS.sub("", svg)), count=1)
    for _depth in range(8):
        svg, changed = _PLAIN_GROUP.subn(r"\1", svg)
        if not changed:
            break
    return svg


def _python() -> str | None:
    """This Python's interpreter (None when the process runs inside another program)."""
    path = sys.executable or ""
    return path if os.path.basename(path).startswith("python") else None


def _stop(process: subprocess.Popen[str], threads: list[threading.Thread]) -> None:
    """Kill the helper, reap it (no zombie), close its pipes and let its threads end."""
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_SECONDS)
    for thread in threads:  # they end at the pipes' end, which the kill brought
        if thread is not threading.current_thread():
            thread.join(timeout=STOP_SECONDS)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def _send(stream: IO[str], specs: list[list[Any]]) -> None:
    try:
        for item in specs:
            stream.write(json.dumps(item) + "\n")
        stream.flush()
        stream.close()
    except (OSError, ValueError):  # the helper is gone: the waiting side draws here
        pass


def _receive(stream: IO[str], keys: list[str], pending: dict[str, Future[str]]) -> None:
    futures = [pending[key] for key in keys]
    try:
        for line in stream:
            number, svg, *error = json.loads(line)
            future = futures[number]
            if not future.set_running_or_notify_cancel():
                continue  # nobody waits for it any more
            if isinstance(svg, str):
                future.set_result(svg)
            else:
                future.set_exception(RuntimeError(str(error[:1] or "no drawing")[:500]))
    except Exception as error:  # a broken pipe or a garbled answer: stop listening
        log.warning("charts: stopped reading the helper process (%s)", type(error).__name__)
    for future in futures:  # whatever did not come back: drawn here
        if not future.done() and future.set_running_or_notify_cancel():
            future.set_exception(RuntimeError("the helper process stopped"))
