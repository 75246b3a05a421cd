"""Readings from a CSV file (a device app's export, a spreadsheet) -> validated Readings, all or none.

One row is one reading: `indicator,value,unit,measured_at,context` (headers matched loosely: `Date`,
`Result`, `Units`...), and blood pressure may be one row (`bp,150/95,mmHg,...`). Every problem is
collected before anything is returned, each naming the row as a spreadsheet numbers it (header = row 1)
and the column as the file names it, so a person can fix the file in one pass. No printing: the CLI
and the chat app's upload both render `ReadingsCsvError.problems`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.models import CANONICAL_UNITS, Indicator, Reading
from coach.units import ReadingError, accepted_units, check_blood_pressure, normalise_unit, to_canonical

MAX_ROWS = 5000
MAX_BYTES = 5_000_000
EXAMPLE_HEADER = "indicator,value,unit,measured_at,context"
DATE_FORMAT = "YYYY-MM-DD or YYYY-MM-DD HH:MM (ISO 8601), e.g. 2026-11-01 07:30"

# Field -> header spellings, compared after `_key` (lower case, words joined by "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator": ("indicator", "measure", "measurement", "metric", "test", "type", "name", "analyte"),
    "value": ("value", "result", "reading", "amount", "level"),
    "unit": ("unit", "units", "unit_s", "uom", "unit_of_measure"),
    "measured_at": ("measured_at", "date", "datetime", "date_time", "timestamp", "measured", "taken_at",
                    "measurement_date", "date_measured", "when"),
    "time": ("time", "time_of_day"),
    "context": ("context", "setting", "circumstance"),
}
REQUIRED = ("indicator", "value", "measured_at")
FIELD_NAMES = {"indicator": "indicator", "value": "value", "unit": "unit", "measured_at": "measurement time",
               "time": "time of day", "context": "context"}

BLOOD_PRESSURE = "blood pressure"  # a row holding both values: "150/95"
GLUCOSE = "glucose"                # fasting or after a meal, said by the context column
INDICATOR_NAMES: dict[str, Indicator | str] = {
    **{i.value: i for i in Indicator if i is not Indicator.bmi},
    **dict.fromkeys(("bp", "blood_pressure", "nibp"), BLOOD_PRESSURE),
    **dict.fromkeys(("glucose", "blood_glucose", "blood_sugar", "sugar", "bg"), GLUCOSE),
    **dict.fromkeys(("sbp", "systolic", "systolic_blood_pressure"), Indicator.systolic_bp),
    **dict.fromkeys(("dbp", "diastolic", "diastolic_blood_pressure"), Indicator.diastolic_bp),
    **dict.fromkeys(("pulse", "hr", "heart_rate"), Indicator.heart_rate),
    **dict.fromkeys(("fbg", "fpg", "fasting_blood_glucose", "fasting_sugar", "fasting_blood_sugar"),
                    Indicator.fasting_glucose),
    **dict.fromkeys(("ppg", "after_meal_glucose", "post_meal_glucose"), Indicator.postprandial_glucose),
    **dict.fromkeys(("a1c", "hb_a1c", "hemoglobin_a1c", "haemoglobin_a1c"), Indicator.hba1c),
    **dict.fromkeys(("tc", "cholesterol"), Indicator.total_cholesterol),
    **dict.fromkeys(("ldl", "ldl_cholesterol"), Indicator.ldl_c),
    **dict.fromkeys(("hdl", "hdl_cholesterol"), Indicator.hdl_c),
    **dict.fromkeys(("tg", "trig", "trigs", "triglyceride"), Indicator.triglycerides),
    **dict.fromkeys(("ua", "urate", "serum_urate"), Indicator.uric_acid),
    **dict.fromkeys(("body_weight",), Indicator.weight),
    **dict.fromkeys(("waist_circumference",), Indicator.waist),
}
INDICATOR_HINT = ("bp (as 135/85), systolic_bp, diastolic_bp, heart_rate, fasting_glucose, postprandial_glucose, "
                  "glucose (with context fasting or after_meal), hba1c, total_cholesterol, ldl_c, hdl_c, "
                  "triglycerides, uric_acid, weight, height, waist")

CONTEXTS: dict[str, str] = {
    **dict.fromkeys(("fasting", "fasted", "before_breakfast"), "fasting"),
    **dict.fromkeys(("after_meal", "after_meals", "postprandial", "post_meal", "pp"), "after_meal"),
    "random": "random", "home": "home", "lab": "lab", "laboratory": "lab",
    **dict.fromkeys(("office", "clinic", "doctor"), "office"),
}
CONTEXT_HINT = "fasting, after_meal, random, home, office or lab (or leave it empty)"
CONTRADICTS = {Indicator.fasting_glucose: ("after_meal", "random"),
               Indicator.postprandial_glucose: ("fasting", "random")}


class CsvProblem(BaseModel):
    """One thing wrong with a readings file, where it is and what is accepted instead."""

    model_config = ConfigDict(extra="forbid")

    row: int | None = Field(default=None, description="As a spreadsheet numbers rows (header = row 1); "
                                                      "None: the whole file")
    column: str | None = Field(default=None, description="The column as the file's header names it")
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"row {self.row}" if self.row else "",
                                            f"column {self.column!r}" if self.column else "") if part)
        return f"{where}: {self.message}" if where else self.message


class ReadingsCsvError(ValueError):
    """A readings file that cannot be imported, with every problem found (nothing from it is usable)."""

    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        super().__init__(self.summary())

    def summary(self, limit: int = 20, head: str = "the readings file cannot be imported") -> str:
        """The first `limit` problems, one a line, under `head`."""
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        lines = [f"{head} ({count}):"]
        lines += [f"  {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)


def parse_readings_csv(data: str | bytes, *, now: dt.datetime | None = None) -> list[Reading]:
    """Every reading in the file (source 'import'), in file order; or `ReadingsCsvError` listing every problem."""
    now = now or dt.datetime.now()
    text = _decode(data)
    header_row, header, rows = _table(text)
    columns = _columns(header_row, header)
    problems: list[CsvProblem] = []
    readings: list[Reading] = []
    for number, cells in rows:
        if any(cells[len(header):]):
            problems.append(CsvProblem(row=number, message=(
                f"has {len(cells)} cells but the header has {len(header)} columns; put values that contain the "
                "separator in double quotes (\"6,4\")")))
            continue
        readings += _Row(number, header, cells[:len(header)], columns, problems).readings(now)
    if problems:
        position = {name: index for index, name in reversed(list(enumerate(header)))}
        raise ReadingsCsvError(sorted(problems, key=lambda p: (p.row or 0, position.get(p.column, len(header)))))
    return readings


def _fail(message: str, row: int | None = None, column: str | None = None):
    raise ReadingsCsvError([CsvProblem(row=row, column=column, message=message)])


def _decode(data: str | bytes) -> str:
    size = len(data.encode("utf-8", "replace")) if isinstance(data, str) else len(data)
    if size > MAX_BYTES:
        _fail(f"the file is larger than {MAX_BYTES / 1e6:g} MB; import at most {MAX_ROWS:,} rows at a time: "
              "split it into smaller files")
    if isinstance(data, bytes):
        if data.startswith(b"PK\x03\x04"):
            _fail("this is a spreadsheet workbook (.xlsx or .ods), not a CSV file; save it as 'CSV UTF-8' first")
        try:
            data = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            _fail(f"the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start}); "
                  "save it as 'CSV UTF-8' (comma-separated)")
    if "\x00" in data:
        _fail("the file is not text (it contains NUL bytes); export the readings as a CSV file")
    return data.removeprefix("\ufeff")


def _table(text: str) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header row number, header cells, [(row number, cells)]) with blank rows left out."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        _fail(f"the file is empty; the first row must be a header such as {EXAMPLE_HEADER}")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # a quoted line break stays inside one row
            if any(c.strip() for c in cells):
                records.append((number, [c.strip() for c in cells]))
    except csv.Error as exc:
        _fail(f"cannot be read as CSV ({exc})", row=number + 1)
    if not records:
        _fail(f"the file has no values; the first row must be a header such as {EXAMPLE_HEADER}")
    (header_row, header), rows = records[0], records[1:]
    if not rows:
        _fail("the file has a header but no readings below it", row=header_row)
    if len(rows) > MAX_ROWS:
        _fail(f"the file has {len(rows):,} rows of readings; at most {MAX_ROWS:,} can be imported at once: "
              "split it into smaller files")
    return header_row, header, rows


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def _columns(header_row: int, header: list[str]) -> dict[str, int]:
    """Field -> index of its column; a missing required column or two columns for one field is an error."""
    found: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        field = next((f for f, names in COLUMNS.items() if _key(name) in names), None)
        if field is None:
            continue  # other columns (notes, device) are allowed and ignored
        if field in found:
            problems.append(CsvProblem(row=header_row, column=name, message=f"column {header[found[field]]!r} "
                                       f"already gives the {FIELD_NAMES[field]}; keep one of the two"))
        else:
            found[field] = index
    if "measured_at" not in found and "time" in found:
        found["measured_at"] = found.pop("time")
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        problems.append(CsvProblem(row=header_row, message=(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)}; the header needs "
            f"indicator, value and measured_at (or date), with unit and context optional, e.g. {EXAMPLE_HEADER}; "
            f"found: {', '.join(repr(h) for h in header)}")))
    if problems:
        raise ReadingsCsvError(problems)
    return found


def _show(cell: str) -> str:
    return repr(cell if len(cell) <= 40 else cell[:37] + "...")


class _Row:
    """One data row: its cells by field, and the problems it adds to the file's list."""

    def __init__(self, number: int, header: list[str], cells: list[str], columns: dict[str, int],
                 problems: list[CsvProblem]):
        self.number, self.header, self.columns, self.problems = number, header, columns, problems
        self.cells = cells + [""] * (len(header) - len(cells))
        self._before = len(problems)

    def cell(self, field: str) -> str:
        return self.cells[self.columns[field]] if field in self.columns else ""

    def problem(self, field: str | None, message: str) -> None:
        column = self.header[self.columns[field]] if field in self.columns else None
        self.problems.append(CsvProblem(row=self.number, column=column, message=message))

    @property
    def ok(self) -> bool:
        return len(self.problems) == self._before

    def readings(self, now: dt.datetime) -> list[Reading]:
        """The row's readings (two for a blood pressure row), or none after adding its problems."""
        kind = self._indicator()
        context = self._context()
        when = self._when(now)
        if kind is None:
            return []
        if kind == GLUCOSE:
            if context in ("fasting", "after_meal"):
                kind = Indicator.fasting_glucose if context == "fasting" else Indicator.postprandial_glucose
            else:
                field = "context" if "context" in self.columns else "indicator"
                self.problem(field, "say whether the glucose was fasting or after_meal in a 'context' column, or "
                                    "use indicator fasting_glucose or postprandial_glucose")
                kind, context = Indicator.fasting_glucose, None  # same units and range: the value is still checked
        if kind in CONTRADICTS and context in CONTRADICTS[kind]:
            self.problem("context", f"{context!r} contradicts the indicator {kind.value}")
        if kind in (Indicator.fasting_glucose, Indicator.postprandial_glucose) and context is None:
            context = "fasting" if kind is Indicator.fasting_glucose else "after_meal"
        unit = self._unit(kind)
        values = self._values(kind, unit) if unit else []
        if not self.ok:
            return []
        try:
            return [Reading(indicator=indicator, value=value, unit=CANONICAL_UNITS[indicator], entered_value=entered,
                            entered_unit=unit, measured_at=when, context=context, source="import")
                    for indicator, value, entered in values]
        except ValidationError as exc:  # the checks above mirror Reading's; this is a backstop
            self.problem("value", "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
            return []

    def _indicator(self) -> Indicator | str | None:
        raw = self.cell("indicator")
        if not raw:
            self.problem("indicator", f"empty; use one of {INDICATOR_HINT}")
            return None
        if _key(raw) == "bmi":
            self.problem("indicator", "BMI is calculated from weight and height, not imported; import weight "
                                      "readings and give the height in the profile")
            return None
        kind = INDICATOR_NAMES.get(_key(raw))
        if kind is None:
            self.problem("indicator", f"{_show(raw)} is not an indicator; use one of {INDICATOR_HINT}")
        return kind

    def _context(self) -> str | None:
        raw = self.cell("context")
        if not raw:
            return None
        context = CONTEXTS.get(_key(raw))
        if context is None:
            self.problem("context", f"{_show(raw)} is not a context; use {CONTEXT_HINT}")
        return context

    def _when(self, now: dt.datetime) -> dt.datetime | None:
        raw, time = self.cell("measured_at"), self.cell("time")
        if not raw:
            self.problem("measured_at", f"empty; give the date and time as {DATE_FORMAT}")
            return None
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            self.problem("measured_at", _date_problem(raw))
            return None
        if time:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                self.problem("time", f"column {self.header[self.columns['measured_at']]!r} already has a time; "
                                     "leave one of the two empty")
                return None
            try:
                when = dt.datetime.combine(day, dt.time.fromisoformat(time))
            except ValueError:
                self.problem("time", f"{_show(time)} is not a time; write HH:MM (24-hour), e.g. 07:30")
                return None
        naive = when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when
        if naive > now + dt.timedelta(days=1):
            self.problem("measured_at", f"{_show(raw)} is in the future; check the year")
        elif naive.year < 1900:
            self.problem("measured_at", f"{_show(raw)} is before 1900; check the year")
        return when

    def _unit(self, kind: Indicator | str) -> str | None:
        raw = self.cell("unit")
        indicator = Indicator.systolic_bp if kind == BLOOD_PRESSURE else kind
        accepted = accepted_units(indicator)
        name = BLOOD_PRESSURE if kind == BLOOD_PRESSURE else indicator.value
        if not raw:
            if len(accepted) == 1:
                return accepted[0]
            if "unit" in self.columns:
                self.problem("unit", f"empty; {name} can be in {' or '.join(accepted)}: say which")
            else:
                self.problem(None, f"no unit: {name} can be in {' or '.join(accepted)}; add a 'unit' column")
            return None
        unit = normalise_unit(raw)
        if unit not in accepted:
            self.problem("unit", f"{_show(raw)} is not a unit for {name}; use {' or '.join(accepted)}")
            return None
        return unit

    def _values(self, kind: Indicator | str, unit: str) -> list[tuple[Indicator, float, float]]:
        """(indicator, canonical value, value as entered) for each reading in the row."""
        raw = self.cell("value")
        if kind == BLOOD_PRESSURE:
            match = re.fullmatch(r"(\d{2,3}(?:\.\d+)?)\s*/\s*(\d{2,3}(?:\.\d+)?)", raw)
            if not match:
                what = f"{_show(raw)} is not a blood pressure" if raw else "empty"
                self.problem("value", f"{what}; give it as systolic/diastolic, e.g. 135/85")
                return []
            entered = float(match.group(1)), float(match.group(2))
            try:
                systolic, diastolic = check_blood_pressure(*entered)
            except ReadingError as exc:
                self.problem("value", str(exc))
                return []
            return [(Indicator.systolic_bp, systolic, entered[0]), (Indicator.diastolic_bp, diastolic, entered[1])]
        number = _number(raw)
        if number is None:
            what = f"{_show(raw)} is not a number" if raw else "empty"
            self.problem("value", f"{what}; give a number such as 7.2 (digits, with a decimal point or comma)")
            return []
        try:
            return [(kind, to_canonical(kind, number, unit), number)]
        except ReadingError as exc:
            self.problem("value", str(exc))
            return []


def _number(raw: str) -> float | None:
    cleaned = raw.replace(",", ".") if re.fullmatch(r"[+-]?\d+,\d+", raw) else raw
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    number = float(cleaned)
    return number if math.isfinite(number) else None


def _date_problem(raw: str) -> str:
    numeric = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:[ T].*)?", raw)
    if numeric and int(numeric.group(1)) <= 12 and int(numeric.group(2)) <= 12 and numeric.group(1) != numeric.group(2):
        return f"{_show(raw)} is ambiguous (day/month or month/day?); write dates as {DATE_FORMAT}"
    return f"{_show(raw)} is not a date in the expected format; write {DATE_FORMAT}"
