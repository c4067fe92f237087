"""Delete roster files whose time is up (never run, or past their retention after a run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wpstrack.rosters.services import purge_expired


class Command(BaseCommand):
    help = (
        "Delete uploaded roster files whose retention is over (ROSTER_UPLOAD_HOURS unrun, "
        "ROSTER_RETENTION_HOURS after a run) and stray files in ROSTER_DIR. Run it hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        gone = purge_expired()
        self.stdout.write(f"{gone} roster file(s) deleted")
