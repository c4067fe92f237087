"""URL converters. A unit code never contains a dot, so ``units/<code>.json`` is unambiguous."""


class UnitCodeConverter:
    regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
