"""Run a roster file into a round from a script: the same services as the Rosters page."""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.accounts.models import User
from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.rosters import running, services
from wpstrack.rosters.models import RosterRun, RosterUpload


class Command(BaseCommand):
    help = (
        "Run a roster (.csv, .xlsx, .parquet) through a saved mapping into an open round's drafts: "
        "wpstrack run-roster FILE --round PLAN/PERIOD --mapping SLUG --as EMAIL [--accept PERCENT] "
        "[--json]. The file is copied, run and deleted like an upload; exit status 1 when refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--round", required=True, help="PLAN/PERIOD, e.g. dhs-wps-2024/FY2025-Q3"
        )
        parser.add_argument("--mapping", required=True, help="the mapping's key (see the page)")
        parser.add_argument("--as", dest="email", required=True, help="a coordinator of the plan")
        parser.add_argument("--accept", default="0", help="accepted share of unreadable rows, %%")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, _, period = options["round"].partition("/")
        plan = Plan.objects.filter(slug=slug).first()
        if plan is None:
            raise CommandError(f"no plan {slug!r}: give --round PLAN/PERIOD")
        reporting_round = plan.rounds.filter(period=period).first()
        if reporting_round is None:
            raise CommandError(f"{slug} has no round {period!r}")
        mapping = plan.roster_mappings.filter(slug=options["mapping"]).first()
        if mapping is None:
            known = ", ".join(plan.roster_mappings.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"{slug} has no mapping {options['mapping']!r} (it has: {known})")
        actor = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active account {options['email']!r}")
        try:
            accept = Decimal(options["accept"])
        except InvalidOperation:
            raise CommandError("--accept takes a percentage, e.g. 2.5") from None
        path = Path(options["file"])
        try:
            with path.open("rb") as stream:
                upload = services.upload_roster(
                    plan=plan, stream=stream, file_name=path.name, actor=actor
                )
            run = running.run_roster(
                upload=upload,
                mapping=mapping,
                reporting_round=reporting_round,
                accept_share=accept,
                actor=actor,
            )
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except services.InvalidMapping as error:
            for problem in error.problems:
                self.stderr.write(f"{problem['path']}: {problem['code']}: {problem['message']}")
            raise CommandError(error.message) from None
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self._report(run, options["json"])
        if run.state != RosterRun.DONE:
            # The script still has its file: the copy goes now rather than waiting for expiry.
            if RosterUpload.objects.filter(pk=upload.pk).exists():
                services.discard_upload(upload=upload, actor=actor, reason="run-roster refused")
            sys.exit(1)

    def _report(self, run: RosterRun, as_json: bool) -> None:
        if as_json:
            fields = ("state", "rows_read", "rows_counted", "unreadable", "duplicates", "problems")
            data = {name: getattr(run, name) for name in fields}
            data |= {"refusal": run.refusal, "results": run.results, "skipped": run.skipped}
            self.stdout.write(json.dumps(data, indent=2, default=str))
            return
        self.stdout.write(
            f"{run.file_name}: {run.rows_read} rows, {run.rows_counted} counted, "
            f"{run.unreadable} unreadable ({run.unreadable_share:.2f}%), {run.seconds:.2f} s"
        )
        for problem in run.problems:
            rows = ", ".join(str(r) for r in problem["rows"])
            self.stdout.write(
                f"  {problem['code']} {problem['field']}: {problem['count']} (rows {rows})"
            )
        for reason in run.refusal:
            self.stdout.write(f"refused: {reason['message']}")
        for row in run.results:
            aside = f"; in none of its parts: {row['unplaced']}" if row.get("unplaced") else ""
            self.stdout.write(
                f"  {row['unit']} {row['metric']} {row['measure']}: {row['total']} "
                f"({len(row.get('changed', []))} cell(s) changed{aside})"
            )
