"""The chart-drawing helper process (``drawing.py``): ``python -m wpstrack.reports.chart_worker``.

It reads one JSON line per chart from its standard input, ``[number, vega-lite spec]``, and
answers one line per chart on its standard output, ``[number, svg]`` (or ``[number, null,
error]``). It imports vl-convert only, so it starts fast and never touches Django or the
database; it stops when its input is closed."""

from __future__ import annotations

import json
import sys
from typing import Any


def draw(spec: dict[str, Any]) -> str:
    """The bare SVG of one chart (``Chart.svg`` labels it for screen readers afterwards)."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(spec, allowed_base_urls=[]))


def main() -> None:
    for line in sys.stdin:
        number, spec = json.loads(line)
        try:
            answer = [number, draw(spec)]
        except Exception as error:  # the parent draws this one itself
            answer = [number, None, f"{type(error).__name__}: {error}"[:500]]
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
