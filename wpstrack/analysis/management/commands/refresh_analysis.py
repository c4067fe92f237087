from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.analysis.refresh import refresh_plan
from wpstrack.frameworks.models import Plan


class Command(BaseCommand):
    help = "Rebuild figures and statuses from approved submissions: wpstrack refresh-analysis [PLAN ...]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plans", nargs="*", help="plan slugs (default: every plan)")

    def handle(self, *args: Any, **options: Any) -> None:
        plans = Plan.objects.all()
        if options["plans"]:
            plans = plans.filter(slug__in=options["plans"])
            missing = set(options["plans"]) - set(plans.values_list("slug", flat=True))
            if missing:
                raise CommandError(
                    f"no plan {', '.join(sorted(missing))} (see wpstrack load-plans)"
                )
        for plan in plans:
            rows = refresh_plan(plan)
            self.stdout.write(f"{plan.slug}: {rows} figure(s)")
