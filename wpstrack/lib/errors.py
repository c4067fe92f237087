"""Typed refusals raised by services, carried to the user as a message and a stable code."""

from __future__ import annotations


class ServiceError(Exception):
    """A service refused to act. ``code`` is stable for scripts; ``message`` is for people."""

    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotAllowed(ServiceError):
    """The actor's role does not allow this action on this object."""

    status = 403


class Conflict(ServiceError):
    """The action clashes with the current state (duplicate, already done, changed meanwhile)."""

    status = 409
