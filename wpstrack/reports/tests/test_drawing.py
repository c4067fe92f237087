"""The PDF's chart helper process (``drawing.py``, ``chart_worker.py``) is disposable: a helper
that is killed mid-build, hangs or answers nonsense changes nothing in the PDF (its charts are
drawn in this process), holds nothing up, and leaves no process, zombie or thread behind; and a
helper whose parent is killed exits by itself."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from unittest import mock

import pypdf

from wpstrack.analysis.tests.test_refresh import ApprovedFiguresTestCase
from wpstrack.reports import builders, document, drawing, formats
from wpstrack.reports.snapshot import take_snapshot

HANGS = ["-c", "import time; time.sleep(600)"]
NONSENSE = ["-c", "import sys\nfor line in sys.stdin: print('[99, 1]', flush=True)"]


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def gone(pid: int) -> bool:
    """No such process, or only its exit status left for its new parent to collect."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def helper_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("charts-")]


class HelperTestCase(ApprovedFiguresTestCase):
    """The tiny plan's annual report for FY2025, with its two charts."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        maker = cls.__new__(cls)
        maker.report("FY2024", "DHS-CBP", 18, 100, {"women": 11, "men": 29, "other": 2})
        maker.report("FY2025", "DHS-CBP", 22, 100, {"women": 13, "men": 31, "other": 2})
        cls.snapshot = take_snapshot(cls.plan, "FY2025", actor=cls.w.cora)

    def setUp(self):
        self.report_document = builders.build(self.snapshot, "annual")
        assert len(self.report_document.figures) == 2
        document.forget_drawn_charts()
        self.addCleanup(document.forget_drawn_charts)
        # Every chart of these small reports goes to a helper (normally from 8 charts on).
        patcher = mock.patch.object(drawing, "IN_A_PROCESS_FROM", 1)
        patcher.start()
        self.addCleanup(patcher.stop)

    def reference(self) -> list[str]:
        """The PDF's text with every chart drawn in this process."""
        with mock.patch.object(drawing, "_python", return_value=None):
            content = formats.to_pdf(self.report_document)
        document.forget_drawn_charts()
        return pdf_text(content)

    def started(self) -> list[subprocess.Popen[str]]:
        """Record each helper process a Drawing starts."""
        processes: list[subprocess.Popen[str]] = []
        start = drawing.Drawing._start

        def recording(this: drawing.Drawing, keys: list[str]) -> None:
            start(this, keys)
            assert this.process is not None
            processes.append(this.process)

        patcher = mock.patch.object(drawing.Drawing, "_start", recording)
        patcher.start()
        self.addCleanup(patcher.stop)
        return processes

    def assert_left_nothing(self, processes: list[subprocess.Popen[str]]) -> None:
        assert processes, "no helper was started"
        for process in processes:
            assert process.returncode is not None  # reaped by us: no zombie
            try:
                os.waitpid(process.pid, os.WNOHANG)
            except ChildProcessError:
                pass  # nothing left to reap
            else:
                raise AssertionError(f"helper {process.pid} was left to reap")
            assert process.stdin is not None and process.stdin.closed
            assert process.stdout is not None and process.stdout.closed
        assert helper_threads() == []


class HelperFailureTests(HelperTestCase):
    def test_a_helper_killed_mid_build_still_gives_the_same_pdf(self):
        expected = self.reference()
        processes = self.started()
        src = drawing.Drawing.src

        def killing(this: drawing.Drawing, figure: document.Figure) -> str | None:
            if this.process is not None and this.process.poll() is None:
                this.process.kill()  # while the template is rendered, before WeasyPrint asks
                this.process.wait()
            return src(this, figure)

        with mock.patch.object(drawing.Drawing, "src", killing):
            content = formats.to_pdf(self.report_document)
        assert pdf_text(content) == expected
        assert processes[0].returncode == -9
        self.assert_left_nothing(processes)

    def test_a_hanging_helper_holds_nothing_up_and_is_killed(self):
        expected = self.reference()
        processes = self.started()
        started = time.monotonic()
        with mock.patch.object(drawing, "HELPER", HANGS):
            content = formats.to_pdf(self.report_document)
        assert time.monotonic() - started < drawing.WAIT_SECONDS  # nobody waited for it
        assert pdf_text(content) == expected
        assert processes[0].returncode == -9
        self.assert_left_nothing(processes)

    def test_waiting_for_a_hanging_helper_gives_it_up_after_the_timeout(self):
        processes = self.started()
        figures = self.report_document.figures
        expected = [drawing.print_svg(f.svg()).encode() for f in figures]
        document.forget_drawn_charts()
        with (
            mock.patch.object(drawing, "HELPER", HANGS),
            mock.patch.object(drawing, "WAIT_SECONDS", 0.5),
            drawing.Drawing(figures, in_a_process=True) as helper,
        ):
            started = time.monotonic()
            drawn = [helper.fetch(helper.src(f) or "", wait=True) for f in figures]
            waited = time.monotonic() - started
            assert processes[0].poll() is not None  # given up at the first timeout
        assert drawn == expected
        assert 0.5 <= waited < 0.5 + drawing.STOP_SECONDS  # one wait, not one a chart
        self.assert_left_nothing(processes)

    def test_a_helper_answering_nonsense_is_not_listened_to(self):
        processes = self.started()
        figures = self.report_document.figures
        expected = [drawing.print_svg(f.svg()).encode() for f in figures]
        document.forget_drawn_charts()
        with (
            mock.patch.object(drawing, "HELPER", NONSENSE),
            self.assertLogs("wpstrack.reports.drawing", "WARNING"),
            drawing.Drawing(figures, in_a_process=True) as helper,
        ):
            drawn = [helper.fetch(helper.src(f) or "", wait=True) for f in figures]
        assert drawn == expected
        self.assert_left_nothing(processes)

    def test_a_drawing_never_closed_still_stops_its_helper_when_collected(self):
        processes = self.started()
        helper = drawing.Drawing(self.report_document.figures, in_a_process=True)
        process = processes[0]
        del helper  # no close(): the finalizer kills and reaps it
        assert process.returncode is not None
        for thread in helper_threads():
            thread.join(timeout=drawing.STOP_SECONDS)
        self.assert_left_nothing(processes)


class OrphanTests(HelperTestCase):
    def test_the_helper_exits_when_the_process_that_started_it_is_killed(self):
        # The helper holds its own input's other end, so it never reads to the end of it: only
        # noticing that its parent is gone can stop it (as one stuck in a drawing would be).
        script = (
            "import os, subprocess, sys, time\n"
            "read, write = os.pipe()\n"
            "helper = subprocess.Popen([sys.executable, *sys.argv[1:]],"
            " stdin=read, stdout=subprocess.DEVNULL, pass_fds=(write,))\n"
            "print(helper.pid, flush=True)\n"
            "time.sleep(600)\n"
        )
        parent = subprocess.Popen(
            [sys.executable, "-c", script, *drawing.HELPER],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert parent.stdout is not None
            pid = int(parent.stdout.readline())
            time.sleep(0.3)
            assert not gone(pid)  # its input is still open: it waits for charts
        finally:
            parent.kill()
            parent.wait()
            if parent.stdout is not None:
                parent.stdout.close()
        deadline = time.monotonic() + 10
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(pid)
