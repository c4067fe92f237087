"""The ``wpstrack`` command: Django's management commands under our name.

A bad setting is reported as one line naming the variable and the fix, not a traceback.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wpstrack.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "wpstrack"
    if len(args) > 1 and not args[1].startswith("-"):
        # Commands are spelled with hyphens (load-units); Django's modules use underscores.
        args[1] = args[1].replace("-", "_")
    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        sys.stderr.write(f"wpstrack: configuration error: {error}\n")
        raise SystemExit(2) from None
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
