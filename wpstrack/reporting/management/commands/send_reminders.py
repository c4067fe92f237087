import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.reporting.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Email focal points of units that have not submitted, REMINDER_DAYS before and after the due "
        "date; each reminder is sent once and recorded. Run it daily (cron or a scheduler)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="pretend today is YYYY-MM-DD (for testing a schedule)")
        parser.add_argument("--days", type=int, default=None, help="override REMINDER_DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else dt.date.today()
        except ValueError:
            raise CommandError(
                f"--today {options['today']!r} is not a date: write YYYY-MM-DD"
            ) from None
        days = options["days"] if options["days"] is not None else settings.REMINDER_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1")
        sent = send_reminders(today=today, days=days, actor_label="command send-reminders")
        for reminder in sent:
            self.stdout.write(
                f"{reminder.submission}: {reminder.kind} reminder to {len(reminder.recipients)} "
                "focal point(s)"
            )
        self.stdout.write(f"{len(sent)} reminder(s) sent")
