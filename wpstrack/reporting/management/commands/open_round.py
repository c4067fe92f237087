import datetime as dt
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.frameworks.models import Plan
from wpstrack.lib.errors import ServiceError
from wpstrack.reporting import services


class Command(BaseCommand):
    help = "Prepare and open a reporting round: wpstrack open-round PLAN PERIOD --due YYYY-MM-DD"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan", help="plan slug, e.g. dhs-wps-2024")
        parser.add_argument("period", help="FY2025 or FY2025-Q3")
        parser.add_argument("--due", required=True, help="due date, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan.objects.filter(slug=options["plan"]).first()
        if plan is None:
            raise CommandError(f"no plan {options['plan']!r} (load it with wpstrack load-plans)")
        try:
            due = dt.date.fromisoformat(options["due"])
        except ValueError:
            raise CommandError(
                f"--due {options['due']!r} is not a date: write YYYY-MM-DD"
            ) from None
        label = f"command open-round ({getpass.getuser()})"
        try:
            reporting_round = services.create_round(
                plan=plan, period=options["period"], due_date=due, actor=None, actor_label=label
            )
            services.open_round(reporting_round=reporting_round, actor=None, actor_label=label)
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        units = reporting_round.submissions.count()
        self.stdout.write(
            f"{plan.slug} {reporting_round.period}: open, due {due}, {units} unit(s) to report "
            f"(round {reporting_round.pk})"
        )
