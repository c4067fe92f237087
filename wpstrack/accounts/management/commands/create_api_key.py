from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wpstrack.accounts.models import User
from wpstrack.accounts.services import create_api_token
from wpstrack.lib.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Make an API key for a user and print it once: wpstrack create-api-key EMAIL --name SCRIPT"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--name", required=True, help="what the key is for, e.g. 'nightly import'"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['email']!r}")
        try:
            token, key = create_api_token(
                user=user, name=options["name"], actor=None, actor_label="command create-api-key"
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"API key for {user.email} ({token.name}); it is shown only now:\n{key}")
