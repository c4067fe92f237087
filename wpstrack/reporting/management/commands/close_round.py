import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.lib.errors import ServiceError
from wpstrack.reporting import services
from wpstrack.reporting.models import ReportingRound


class Command(BaseCommand):
    help = "Close a reporting round (it is frozen): wpstrack close-round PLAN PERIOD"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan")
        parser.add_argument("period")

    def handle(self, *args: Any, **options: Any) -> None:
        reporting_round = ReportingRound.objects.filter(
            plan__slug=options["plan"], period=options["period"].upper()
        ).first()
        if reporting_round is None:
            raise CommandError(f"no round {options['period']!r} for plan {options['plan']!r}")
        try:
            services.close_round(
                reporting_round=reporting_round,
                actor=None,
                actor_label=f"command close-round ({getpass.getuser()})",
            )
        except ServiceError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self.stdout.write(f"{reporting_round}: closed")
