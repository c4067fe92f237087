"""Every write of the reporting workflow, one transaction each, with its audit rows.

Callers use ``from wpstrack.reporting import services`` and ``services.save_submission(...)``:
rounds (prepare, open, close, assignments), submissions (save, submit, return, approve,
reopen, comment) and storing (``store_entry``: a submission's figures and action updates,
in bulk, for the form and for spreadsheet imports)."""

from wpstrack.reporting.services.rounds import (
    add_assignment,
    close_round,
    create_round,
    open_round,
    remove_assignment,
)
from wpstrack.reporting.services.storing import store_entry
from wpstrack.reporting.services.submissions import (
    InvalidSubmission,
    add_comment,
    approve_submission,
    change_threshold,
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
    "store_entry",
    "submit_submission",
]
