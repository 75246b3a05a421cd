"""Units people use -> one canonical unit per indicator, and plausibility limits with clear errors."""

from __future__ import annotations

from coach.models import CANONICAL_UNITS, LABELS, Indicator

# mg/dL per mmol/L for each analyte (its molar mass / 10).
GLUCOSE_MG_PER_MMOL = 18.016
CHOLESTEROL_MG_PER_MMOL = 38.67
TRIGLYCERIDE_MG_PER_MMOL = 88.57
URATE_UMOL_PER_MG_DL = 59.48

_GLUCOSE = (Indicator.fasting_glucose, Indicator.postprandial_glucose)
_CHOLESTEROL = (Indicator.total_cholesterol, Indicator.ldl_c, Indicator.hdl_c)

# Plausible range in the canonical unit: outside it, a value is a typo or a wrong unit, not a reading.
PLAUSIBLE: dict[Indicator, tuple[float, float]] = {
    Indicator.systolic_bp: (50, 300), Indicator.diastolic_bp: (20, 200), Indicator.heart_rate: (20, 250),
    Indicator.fasting_glucose: (1.0, 50.0), Indicator.postprandial_glucose: (1.0, 50.0),
    Indicator.hba1c: (3.0, 20.0), Indicator.total_cholesterol: (1.0, 20.0), Indicator.ldl_c: (0.2, 15.0),
    Indicator.hdl_c: (0.1, 5.0), Indicator.triglycerides: (0.1, 60.0), Indicator.uric_acid: (30, 1500),
    Indicator.weight: (20, 400), Indicator.height: (80, 250), Indicator.waist: (40, 250),
    Indicator.bmi: (10, 100),
}

UNIT_ALIASES: dict[str, str] = {
    "mmhg": "mmHg", "bpm": "bpm", "/min": "bpm", "mmol/l": "mmol/L", "mg/dl": "mg/dL", "%": "%",
    "mmol/mol": "mmol/mol", "umol/l": "µmol/L", "µmol/l": "µmol/L", "μmol/l": "µmol/L", "kg": "kg",
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb", "cm": "cm", "in": "in", "inch": "in",
    "inches": "in", "kg/m2": "kg/m²", "kg/m²": "kg/m²", "m": "m",
}


class ReadingError(ValueError):
    """A value that cannot be stored; the message names the field, the value and what is accepted."""

    def __init__(self, field: str, value: object, problem: str):
        self.field, self.value, self.problem = field, value, problem
        super().__init__(f"{field}: {problem}")


def normalise_unit(unit: str) -> str:
    key = unit.strip().lower().replace(" ", "")
    return UNIT_ALIASES.get(key, unit.strip())


def accepted_units(indicator: Indicator) -> list[str]:
    canonical = CANONICAL_UNITS[indicator]
    if indicator in _GLUCOSE or indicator in _CHOLESTEROL or indicator is Indicator.triglycerides:
        return ["mmol/L", "mg/dL"]
    return {Indicator.hba1c: ["%", "mmol/mol"], Indicator.uric_acid: ["µmol/L", "mg/dL"],
            Indicator.weight: ["kg", "lb"], Indicator.height: ["cm", "m", "in"],
            Indicator.waist: ["cm", "in"]}.get(indicator, [canonical])


def to_canonical(indicator: Indicator, value: float, unit: str | None = None) -> float:
    """Convert `value` in `unit` (default: canonical) to the canonical unit and check it is plausible."""
    field = LABELS[indicator]
    canonical = CANONICAL_UNITS[indicator]
    unit = normalise_unit(unit) if unit else canonical
    if unit not in accepted_units(indicator):
        raise ReadingError(field, value, f"unit {unit!r} is not accepted; use "
                                         f"{' or '.join(accepted_units(indicator))}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ReadingError(field, value, f"{value!r} is not a number") from None
    converted = _convert(indicator, number, unit)
    low, high = PLAUSIBLE[indicator]
    if not low <= converted <= high:
        raise ReadingError(field, value, f"{number:g} {unit} is outside the accepted range "
                                         f"{_in_unit(indicator, low, unit):g}-{_in_unit(indicator, high, unit):g} {unit}")
    return round(converted, 4)


def _convert(indicator: Indicator, value: float, unit: str) -> float:
    if unit == CANONICAL_UNITS[indicator]:
        return value
    if unit == "mg/dL":
        if indicator in _GLUCOSE:
            return value / GLUCOSE_MG_PER_MMOL
        if indicator in _CHOLESTEROL:
            return value / CHOLESTEROL_MG_PER_MMOL
        if indicator is Indicator.triglycerides:
            return value / TRIGLYCERIDE_MG_PER_MMOL
        if indicator is Indicator.uric_acid:
            return value * URATE_UMOL_PER_MG_DL
    if unit == "mmol/mol":  # IFCC HbA1c -> NGSP %
        return value / 10.929 + 2.15
    if unit == "lb":
        return value * 0.45359237
    if unit == "in":
        return value * 2.54
    if unit == "m":
        return value * 100
    raise ReadingError(LABELS[indicator], value, f"no conversion from {unit}")  # pragma: no cover


def from_canonical(indicator: Indicator, canonical_value: float, unit: str) -> float:
    """A canonical value expressed in `unit` (every conversion here is linear)."""
    unit = normalise_unit(unit)
    if unit == CANONICAL_UNITS[indicator]:
        return canonical_value
    one = _convert(indicator, 1.0, unit)
    zero = _convert(indicator, 0.0, unit)
    return (canonical_value - zero) / (one - zero)


def _in_unit(indicator: Indicator, canonical_value: float, unit: str) -> float:
    return round(from_canonical(indicator, canonical_value, unit), 1)


def check_blood_pressure(systolic: float, diastolic: float) -> tuple[float, float]:
    """Both values plausible, and the diastolic below the systolic."""
    systolic = to_canonical(Indicator.systolic_bp, systolic)
    diastolic = to_canonical(Indicator.diastolic_bp, diastolic)
    if diastolic >= systolic:
        raise ReadingError("blood pressure", f"{systolic:g}/{diastolic:g}",
                           f"the diastolic (lower) value {diastolic:g} must be below the systolic (upper) "
                           f"value {systolic:g}; was it entered the wrong way round?")
    return systolic, diastolic
