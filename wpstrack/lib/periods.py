"""Reporting periods: fiscal years and quarters for a plan's fiscal-year start month.

A US plan's fiscal year starts in October: FY2025 runs 2024-10-01 to 2025-09-30, and its Q3 is
April-June 2025. A UN plan's starts in January: FY2025 is the calendar year. Codes look like
``FY2025`` and ``FY2025-Q3`` and are the same whatever the start month; the dates differ.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^FY(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")


class PeriodError(ValueError):
    """A period code that cannot be read."""


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal year (``quarter`` None) or one of its quarters."""

    fiscal_year: int
    quarter: int | None
    start_month: int

    @classmethod
    def parse(cls, code: str, start_month: int) -> Period:
        match = CODE_RE.match(code.strip().upper())
        if not match:
            raise PeriodError(
                f"{code!r} is not a period: write FY2025 for a fiscal year or FY2025-Q3 for a quarter"
            )
        if not 1 <= start_month <= 12:
            raise PeriodError(f"fiscal year start month {start_month} is not 1-12")
        quarter = match.group("quarter")
        return cls(int(match.group("year")), int(quarter) if quarter else None, start_month)

    @classmethod
    def containing(cls, day: dt.date, start_month: int, *, quarterly: bool = True) -> Period:
        """The period a date falls in."""
        months_in = (day.month - start_month) % 12
        year_start = _add_months(dt.date(day.year, day.month, 1), -months_in)
        fiscal_year = year_start.year + (1 if start_month != 1 else 0)
        return cls(fiscal_year, months_in // 3 + 1 if quarterly else None, start_month)

    @property
    def code(self) -> str:
        return f"FY{self.fiscal_year}" + (f"-Q{self.quarter}" if self.quarter else "")

    @property
    def year_start(self) -> dt.date:
        # FY2025 with an October start begins in October 2024.
        calendar_year = self.fiscal_year - (1 if self.start_month != 1 else 0)
        return dt.date(calendar_year, self.start_month, 1)

    @property
    def start(self) -> dt.date:
        return _add_months(self.year_start, 3 * ((self.quarter or 1) - 1))

    @property
    def end(self) -> dt.date:
        months = 3 if self.quarter else 12
        return _add_months(self.start, months) - dt.timedelta(days=1)

    @property
    def year(self) -> Period:
        return Period(self.fiscal_year, None, self.start_month)

    def previous(self) -> Period:
        """The period before: the previous quarter, or the previous fiscal year."""
        if self.quarter is None:
            return Period(self.fiscal_year - 1, None, self.start_month)
        if self.quarter == 1:
            return Period(self.fiscal_year - 1, 4, self.start_month)
        return Period(self.fiscal_year, self.quarter - 1, self.start_month)

    def same_period_last_year(self) -> Period:
        """What "compared to the previous year" compares with."""
        return Period(self.fiscal_year - 1, self.quarter, self.start_month)

    def quarters(self) -> list[Period]:
        if self.quarter is not None:
            return [self]
        return [Period(self.fiscal_year, q, self.start_month) for q in range(1, 5)]

    def __str__(self) -> str:
        return self.code
