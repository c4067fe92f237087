"""Make docs/report-<kind>.png: the first page of each kind of report as a PDF, from the demo data.

    .venv/bin/pip install pypdfium2            # the PDF renderer (not needed by wpstrack itself)
    .venv/bin/wpstrack migrate && .venv/bin/wpstrack demo   # or any database with the demo
    .venv/bin/python docs/make_screenshots.py [--plan dhs-wps-2024] [--year FY2024] [--width 800]

It builds each report exactly as ``wpstrack build-report`` does (a snapshot of the approved data,
then the PDF), renders page 1 at the given width and keeps it as a small PNG (64 colours).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="dhs-wps-2024")
    parser.add_argument("--year", default="FY2024")
    parser.add_argument("--unit", default="DHS-CBP", help="the unit of the unit report")
    parser.add_argument("--width", type=int, default=800, help="pixels")
    parser.add_argument("--out", default=str(HERE))
    args = parser.parse_args()

    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wpstrack.settings")
    import django

    django.setup()
    import pypdfium2

    from wpstrack.frameworks.models import Plan
    from wpstrack.reports import builders, services
    from wpstrack.reports.snapshot import take_snapshot

    plan = Plan.objects.filter(slug=args.plan).first()
    if plan is None:
        sys.exit(f"no plan {args.plan!r}: load the demo first (wpstrack demo)")
    snapshot = take_snapshot(plan, args.year, actor=None, actor_label="docs/make_screenshots.py")
    for kind in builders.KINDS:
        options = {"unit": args.unit} if kind == "unit" else {}
        content, _name = services.render(snapshot, kind, "pdf", **options)
        page = pypdfium2.PdfDocument(content)[0]
        image = page.render(scale=args.width / page.get_width()).to_pil()
        image = image.convert("RGB").quantize(colors=64)
        path = Path(args.out) / f"report-{kind}.png"
        image.save(path, optimize=True)
        print(f"{path}: {image.width}x{image.height}, {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
