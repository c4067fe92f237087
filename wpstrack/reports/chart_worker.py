"""The chart-drawing helper process (``drawing.py``): ``python -m wpstrack.reports.chart_worker``.

It reads one JSON line per chart from its standard input, ``[number, vega-lite spec]``, and
answers one line per chart on its standard output, ``[number, svg]`` (or ``[number, null,
error]``). It imports vl-convert only, so it starts fast and never touches Django or the
database; it stops when its input is closed and it has answered, when nobody reads its answers
any more, or (checked every ``WATCH_SECONDS``) when the process that started it is gone, so a
killed web or queue worker leaves no helper behind, even one stuck in a drawing."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

WATCH_SECONDS = 1.0


def draw(spec: dict[str, Any]) -> str:
    """The bare SVG of one chart (``Chart.svg`` labels it for screen readers afterwards)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(spec, allowed_base_urls=[]))


def watch_parent(parent: int) -> None:
    """Exit at once when the parent is gone (its children pass to another process then)."""
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    os._exit(1)


def main() -> None:
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    try:
        for line in sys.stdin:
            number, spec = json.loads(line)
            try:
                answer = [number, draw(spec)]
            except Exception as error:  # the parent draws this one itself
                answer = [number, None, f"{type(error).__name__}: {error}"[:500]]
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    except (BrokenPipeError, KeyboardInterrupt):  # nobody listens any more
        os._exit(0)  # without flushing into the closed pipe again


if __name__ == "__main__":
    main()
