"""Typed readers for settings taken from environment variables.

Each reader fails with a message that names the variable, the value found and how to fix it,
so a misconfigured server stops at start instead of misbehaving later.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(ImproperlyConfigured):
    """A setting read from the environment has a value we cannot use."""

    def __init__(self, name: str, value: str | None, fix: str) -> None:
        shown = "(not set)" if value is None else value if value == "(hidden)" else repr(value)
        super().__init__(f"{name}={shown} is not valid: {fix}")
        self.name = name
        self.fix = fix


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable's value, or ``default`` when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no flag; anything other than the usual spellings is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(name, raw, "use 1/true/yes/on or 0/false/no/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read a whole number, optionally with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(name, raw, "use a whole number, e.g. 5") from None
    if minimum is not None and value < minimum:
        raise SettingError(name, raw, f"use a whole number of at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: dict[str, str]) -> str:
    """Read one of a fixed set of short names and return what it stands for."""
    raw = os.environ.get(name)
    key = default if raw is None or raw.strip() == "" else raw.strip()
    if key in choices:
        return choices[key]
    if "." in key:  # a dotted path to a class is accepted as given
        return key
    raise SettingError(name, raw, "use one of " + ", ".join(sorted(choices)))
