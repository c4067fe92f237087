"""Every write of the reporting workflow, one transaction each, with its audit rows.

Callers use ``from wpstrack.reporting import services`` and ``services.save_submission(...)``."""

from wpstrack.reporting.services.submissions import (
    InvalidSubmission,
    add_assignment,
    add_comment,
    approve_submission,
    change_threshold,
    close_round,
    create_round,
    open_round,
    remove_assignment,
    reopen_submission,
    return_submission,
    save_submission,
    submit_submission,
)

__all__ = [
    "InvalidSubmission",
    "add_assignment",
    "add_comment",
    "approve_submission",
    "change_threshold",
    "close_round",
    "create_round",
    "open_round",
    "remove_assignment",
    "reopen_submission",
    "return_submission",
    "save_submission",
    "submit_submission",
]
