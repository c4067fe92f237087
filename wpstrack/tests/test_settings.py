"""Settings are read at start; a bad value stops the command with a message naming the fix."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "wpstrack", *args],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not valid: use 1/true/yes/on or 0/false/no/off"),
        ({"DEBUG": "0"}, "SECRET_KEY=(not set) is not valid: set SECRET_KEY to at least 50 random"),
        (
            {"DEBUG": "0", "SECRET_KEY": "short"},
            "SECRET_KEY=(hidden) is not valid: use at least 50",
        ),
        (
            {"DEBUG": "1", "DATABASE_URL": "mysql://x/y"},
            "DATABASE_URL='mysql://x/y' is not valid: use sqlite:",
        ),
        (
            {"DEBUG": "1", "DATABASE_URL": "postgres://127.0.0.1"},
            "add the database name after the host",
        ),
        (
            {"DEBUG": "1", "EMAIL_BACKEND": "pigeon"},
            "EMAIL_BACKEND='pigeon' is not valid: use one of console",
        ),
        (
            {"DEBUG": "1", "EMAIL_PORT": "twenty-five"},
            "EMAIL_PORT='twenty-five' is not valid: use a whole number",
        ),
        ({"DEBUG": "1", "LOGIN_FAILURE_LIMIT": "0"}, "use a whole number of at least 1"),
    ],
)
def test_it_refuses_to_start_with_a_bad_setting(env, expected, tmp_path):
    result = run("check", WPSTRACK_VAR_DIR=str(tmp_path), **env)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_it_keeps_a_generated_secret_key_in_var_for_debug(tmp_path):
    assert run("check", DEBUG="1", WPSTRACK_VAR_DIR=str(tmp_path)).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run("check", DEBUG="1", WPSTRACK_VAR_DIR=str(tmp_path)).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_the_deployment_settings_pass_check_deploy_without_warnings(tmp_path):
    """The README's deployment section, as environment variables."""
    result = run(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        HTTPS="1",
        ALLOWED_HOSTS="wpstrack.example.org",
        SECRET_KEY="Zq8-" + "x7Yp2mLk9QwErTyUiOpAsDfGhJkLzXcVbNm1234567890abcdefgh",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        WPSTRACK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_every_environment_variable_is_documented_in_the_readme():
    source = (ROOT / "wpstrack" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert names and missing == []


def test_tests_run_with_debug_off():
    assert settings.DEBUG is False
