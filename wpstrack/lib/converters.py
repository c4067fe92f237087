"""URL converters. A unit code never contains a dot, so ``units/<code>.json`` is unambiguous."""


class UnitCodeConverter:
    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A database id: at most 18 digits, so no address can overflow a 64-bit column."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class ElementCodeConverter:
    """Codes as documents number them (``LOE1``, ``1.1``, ``1.1-A1``): dots allowed."""

    regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SlugConverter:
    regex = r"[a-z0-9][a-z0-9-]{0,79}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TableFormatConverter:
    """How a round's spreadsheet is downloaded: template.xlsx, template.csv, template.actions.csv."""

    regex = r"xlsx|csv|actions\.csv"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PeriodConverter:
    """A reporting period code: FY2025 or FY2025-Q3."""

    regex = r"FY[0-9]{4}(?:-Q[1-4])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ChartKindConverter:
    """Which chart of a metric: its trend, or its breakdown by category."""

    regex = r"trend|breakdown"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
