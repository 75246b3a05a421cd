"""Units people use become one canonical unit; implausible values are refused with a clear message."""

from __future__ import annotations

import pytest

from coach.models import Indicator as I
from coach.units import ReadingError, check_blood_pressure, from_canonical, to_canonical


@pytest.mark.parametrize("indicator, value, unit, canonical", [
    (I.fasting_glucose, 126, "mg/dL", 6.9938), (I.fasting_glucose, 7.8, "mmol/l", 7.8),
    (I.postprandial_glucose, 180, "mg/dl", 9.9911),
    (I.ldl_c, 190, "mg/dL", 4.9134), (I.hdl_c, 40, "mg/dL", 1.0344), (I.total_cholesterol, 5.2, "mmol/L", 5.2),
    (I.triglycerides, 150, "mg/dL", 1.6936), (I.triglycerides, 500, "mg/dL", 5.6453),
    (I.uric_acid, 7, "mg/dL", 416.36), (I.uric_acid, 420, "umol/L", 420), (I.uric_acid, 420, "μmol/L", 420),
    (I.hba1c, 48, "mmol/mol", 6.542), (I.hba1c, 6.5, "%", 6.5),
    (I.weight, 176, "lb", 79.8323), (I.weight, 80, "kg", 80), (I.waist, 36, "in", 91.44),
    (I.height, 1.72, "m", 172.0), (I.systolic_bp, 152, None, 152),
])
def test_conversion_to_canonical(indicator, value, unit, canonical):
    assert to_canonical(indicator, value, unit) == pytest.approx(canonical, abs=1e-3)


@pytest.mark.parametrize("indicator, value, unit", [(I.fasting_glucose, 95, "mg/dL"), (I.ldl_c, 130, "mg/dL"),
                                                    (I.triglycerides, 220, "mg/dL"), (I.uric_acid, 6.4, "mg/dL"),
                                                    (I.hba1c, 53, "mmol/mol"), (I.weight, 150, "lb"),
                                                    (I.waist, 34, "in")])
def test_from_canonical_inverts_to_canonical(indicator, value, unit):
    assert from_canonical(indicator, to_canonical(indicator, value, unit), unit) == pytest.approx(value, abs=1e-2)


@pytest.mark.parametrize("indicator, value, unit, message", [
    (I.systolic_bp, 400, None, "systolic blood pressure: 400 mmHg is outside the accepted range 50-300 mmHg"),
    (I.diastolic_bp, 10, "mmHg", "diastolic blood pressure: 10 mmHg is outside the accepted range 20-200 mmHg"),
    (I.hba1c, 40, "%", "HbA1c: 40 % is outside the accepted range 3-20 %"),
    (I.weight, -5, "kg", "weight: -5 kg is outside the accepted range 20-400 kg"),
    (I.fasting_glucose, 7.8, "mg/dL", "fasting glucose: 7.8 mg/dL is outside the accepted range 18-900.8 mg/dL"),
    (I.uric_acid, 7, "kg", "uric acid: unit 'kg' is not accepted; use µmol/L or mg/dL"),
    (I.weight, "heavy", "kg", "weight: 'heavy' is not a number"),
])
def test_implausible_values_name_field_value_and_range(indicator, value, unit, message):
    with pytest.raises(ReadingError) as info:
        to_canonical(indicator, value, unit)
    assert str(info.value) == message


def test_diastolic_above_systolic_is_refused():
    with pytest.raises(ReadingError, match="diastolic .lower. value 120 must be below the systolic .upper. value 80"):
        check_blood_pressure(80, 120)
    assert check_blood_pressure(152, 96) == (152, 96)
