"""pytest plugin loaded with ``-p`` before Django's settings are read.

Tests run with DEBUG off, like production, so they need a SECRET_KEY; this gives them a fixed
one without weakening the rule that a real server must be given its own.
"""

import os

os.environ.setdefault("SECRET_KEY", "wpstrack-tests-only-not-a-secret-0123456789abcdefghijklmnop")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Report builds run in the test's own request and transaction rather than waiting for a worker.
os.environ.setdefault("TASKS_BACKEND", "immediate")
