"""Readings CSV files -> validated Readings, or every problem with its row and column; never a partial import."""

from __future__ import annotations

import datetime as dt

import pytest

from coach.models import Indicator as I
from coach.profile.csv_readings import MAX_ROWS, CsvProblem, ReadingsCsvError, parse_readings_csv

NOW = dt.datetime(2026, 11, 22, 9, 0)
HEADER = "indicator,value,unit,measured_at,context\n"


def problems(data) -> list[str]:
    with pytest.raises(ReadingsCsvError) as info:
        parse_readings_csv(data, now=NOW)
    assert all(isinstance(p, CsvProblem) for p in info.value.problems)
    return [str(p) for p in info.value.problems]


def test_a_good_file_gives_canonical_readings_in_file_order():
    readings = parse_readings_csv(HEADER + (
        "bp,150/95,mmHg,2026-11-01 07:30,home\n"
        "glucose,110,mg/dl,2026-11-01,fasting\n"
        "LDL-C,3.4,mmol/L,2026-10-01T08:00:00+08:00,lab\n"
        "weight,176,lbs,2026-11-02T07:00,\n"
        "hba1c,48,mmol/mol,2026-10-01,\n"
        "postprandial_glucose,9.1,mmol/L,2026-11-03 13:00,\n"
        "Heart Rate,72,,2026-11-01 07:30,\n"), now=NOW)
    assert [(r.indicator, r.value, r.entered_value, r.entered_unit) for r in readings] == [
        (I.systolic_bp, 150, 150, "mmHg"), (I.diastolic_bp, 95, 95, "mmHg"),
        (I.fasting_glucose, 6.1057, 110, "mg/dL"), (I.ldl_c, 3.4, 3.4, "mmol/L"),
        (I.weight, 79.8323, 176, "lb"), (I.hba1c, 6.5420, 48, "mmol/mol"),
        (I.postprandial_glucose, 9.1, 9.1, "mmol/L"), (I.heart_rate, 72, 72, "bpm")]
    assert {r.source for r in readings} == {"import"}
    assert readings[0].measured_at == readings[1].measured_at == dt.datetime(2026, 11, 1, 7, 30)
    assert readings[3].measured_at == dt.datetime(2026, 10, 1, 0, 0)  # +08:00 stored as UTC
    assert readings[4].measured_at == dt.datetime(2026, 11, 2, 7, 0)
    assert [r.context for r in readings] == ["home", "home", "fasting", "lab", None, None, "after_meal", None]


def test_header_spellings_separators_bom_and_blank_rows():
    text = ("\ufeffDate;Time;Measurement;Result;Units;Notes\n"
            "\n"
            "2026-11-01;07:30;Systolic;141;mmHg;left arm;;\n"
            ";;;;;\n"
            "2026-11-01;21:15;Fasting Blood Sugar;6,4;mmol/l;\n")
    readings = parse_readings_csv(text.encode("utf-8"), now=NOW)
    assert [(r.indicator, r.value, r.measured_at) for r in readings] == [
        (I.systolic_bp, 141, dt.datetime(2026, 11, 1, 7, 30)),
        (I.fasting_glucose, 6.4, dt.datetime(2026, 11, 1, 21, 15))]
    utf16 = parse_readings_csv("indicator\tvalue\tunit\tdate\nuric acid\t7\tmg/dL\t2026-11-01\n".encode("utf-16"),
                               now=NOW)
    assert utf16[0].indicator is I.uric_acid and utf16[0].value == pytest.approx(416.36)


def test_every_problem_is_listed_with_its_row_and_column():
    found = problems(HEADER + (
        "systolic_bp,150,mmHg,2026-11-01 07:30,\n"     # row 2: fine, but not imported with the rest
        "systolic_bp,150,mmHgg,2026-11-01 07:30,\n"    # row 3
        "xyz,1,mmHg,2026-11-01,\n"                     # row 4
        "fasting_glucose,abc,mmol/L,01/02/2026,\n"     # row 5
        "bp,80/120,,2026-11-01,\n"                     # row 6
        "glucose,7,mmol/L,2026-11-01,random\n"         # row 7
        "hba1c,40,%,2096-11-01,\n"                     # row 8
        "weight,70,kg,2026-11-01,after_meal,extra\n"   # row 9
        "bmi,25,,2026-11-01,\n"                        # row 10
        "triglycerides,2,,2026-11-01,\n"               # row 11
        "bp,150-95,mmHg,2026-13-01,\n"                 # row 12
        "fasting_glucose,6,mmol/L,,after_meal\n"       # row 13
        ",,mmHg,2026-11-01,\n"                         # row 14
        "systolic_bp,nan,mmHg,2026-11-01,\n"))         # row 15
    assert found == [
        "row 3, column 'unit': 'mmHgg' is not a unit for systolic_bp; use mmHg",
        "row 4, column 'indicator': 'xyz' is not an indicator; use one of bp (as 135/85), systolic_bp, diastolic_bp, "
        "heart_rate, fasting_glucose, postprandial_glucose, glucose (with context fasting or after_meal), hba1c, "
        "total_cholesterol, ldl_c, hdl_c, triglycerides, uric_acid, weight, height, waist",
        "row 5, column 'value': 'abc' is not a number; give a number such as 7.2 (digits, with a decimal point or comma)",
        "row 5, column 'measured_at': '01/02/2026' is ambiguous (day/month or month/day?); write dates as YYYY-MM-DD "
        "or YYYY-MM-DD HH:MM (ISO 8601), e.g. 2026-11-01 07:30",
        "row 6, column 'value': blood pressure: the diastolic (lower) value 120 must be below the systolic (upper) "
        "value 80; was it entered the wrong way round?",
        "row 7, column 'context': say whether the glucose was fasting or after_meal in a 'context' column, or use "
        "indicator fasting_glucose or postprandial_glucose",
        "row 8, column 'value': HbA1c: 40 % is outside the accepted range 3-20 %",
        "row 8, column 'measured_at': '2096-11-01' is in the future; check the year",
        "row 9: has 6 cells but the header has 5 columns; put values that contain the separator in double quotes "
        "(\"6,4\")",
        "row 10, column 'indicator': BMI is calculated from weight and height, not imported; import weight readings "
        "and give the height in the profile",
        "row 11, column 'unit': empty; triglycerides can be in mmol/L or mg/dL: say which",
        "row 12, column 'value': '150-95' is not a blood pressure; give it as systolic/diastolic, e.g. 135/85",
        "row 12, column 'measured_at': '2026-13-01' is not a date in the expected format; write YYYY-MM-DD or "
        "YYYY-MM-DD HH:MM (ISO 8601), e.g. 2026-11-01 07:30",
        "row 13, column 'measured_at': empty; give the date and time as YYYY-MM-DD or YYYY-MM-DD HH:MM (ISO 8601), "
        "e.g. 2026-11-01 07:30",
        "row 13, column 'context': 'after_meal' contradicts the indicator fasting_glucose",
        "row 14, column 'indicator': empty; use one of bp (as 135/85), systolic_bp, diastolic_bp, heart_rate, "
        "fasting_glucose, postprandial_glucose, glucose (with context fasting or after_meal), hba1c, "
        "total_cholesterol, ldl_c, hdl_c, triglycerides, uric_acid, weight, height, waist",
        "row 15, column 'value': 'nan' is not a number; give a number such as 7.2 (digits, with a decimal point or "
        "comma)",
    ]


def test_the_column_is_named_as_the_file_names_it():
    assert problems("Type,Result,Units,Date\nSBP,120,kPa,2026-11-01\n") == [
        "row 2, column 'Units': 'kPa' is not a unit for systolic_bp; use mmHg"]
    assert problems("indicator,value,date\nglucose,6.1,2026-11-01\n") == [
        "row 2, column 'indicator': say whether the glucose was fasting or after_meal in a 'context' column, or "
        "use indicator fasting_glucose or postprandial_glucose",
        "row 2: no unit: fasting_glucose can be in mmol/L or mg/dL; add a 'unit' column"]


@pytest.mark.parametrize("data, message", [
    ("", "the file is empty; the first row must be a header such as indicator,value,unit,measured_at,context"),
    ("\n  \n", "the file is empty; the first row must be a header such as indicator,value,unit,measured_at,context"),
    (",,,\n,,\n", "the file has no values; the first row must be a header such as "
                  "indicator,value,unit,measured_at,context"),
    ("indicator,value,unit,measured_at\n\n", "row 1: the file has a header but no readings below it"),
    ("name,result,notes\nbp,150/95,x\n", "row 1: missing column 'measured_at'; the header needs indicator, value "
     "and measured_at (or date), with unit and context optional, e.g. indicator,value,unit,measured_at,context; "
     "found: 'name', 'result', 'notes'"),
    ("when,what\n2026-11-01,x\n", "row 1: missing columns 'indicator', 'value'; the header needs indicator, value "
     "and measured_at (or date), with unit and context optional, e.g. indicator,value,unit,measured_at,context; "
     "found: 'when', 'what'"),
    ("indicator,value,date,measured_at\nsbp,120,2026-11-01,2026-11-01\n",
     "row 1, column 'measured_at': column 'date' already gives the measurement time; keep one of the two"),
    ("date,time,indicator,value\n2026-11-01 07:00,07:30,sbp,140\n",
     "row 2, column 'time': column 'date' already has a time; leave one of the two empty"),
    ("date,time,indicator,value\n2026-11-01,7h30,sbp,140\n",
     "row 2, column 'time': '7h30' is not a time; write HH:MM (24-hour), e.g. 07:30"),
    ('indicator,value\n"' + "x" * 200_000 + '"\n',
     "row 2: cannot be read as CSV (field larger than field limit (131072))"),
])
def test_file_level_problems(data, message):
    assert problems(data) == [message]


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is not UTF-8 text (byte 0x89 at position 0); save it as "
                                             "'CSV UTF-8' (comma-separated)"),
    (b"PK\x03\x04\x14\x00\x06\x00", "this is a spreadsheet workbook (.xlsx or .ods), not a CSV file; save it as "
                                    "'CSV UTF-8' first"),
    ("indicator,value,measured_at\nsbp,120,2026-11-01\n".encode("cp1252") + b"caf\xe9",
     "the file is not UTF-8 text (byte 0xe9 at position 50); save it as 'CSV UTF-8' (comma-separated)"),
    ("indicator,value\x00", "the file is not text (it contains NUL bytes); export the readings as a CSV file"),
])
def test_a_file_that_is_not_text(data, message):
    assert problems(data) == [message]


def test_large_files_are_capped():
    rows = "systolic_bp,120,mmHg,2026-11-01\n"
    assert len(parse_readings_csv(HEADER + rows * MAX_ROWS, now=NOW)) == MAX_ROWS
    assert problems(HEADER + rows * (MAX_ROWS + 1)) == [
        "the file has 5,001 rows of readings; at most 5,000 can be imported at once: split it into smaller files"]
    assert problems(HEADER + "x" * 5_000_001) == [
        "the file is larger than 5 MB; import at most 5,000 rows at a time: split it into smaller files"]


def test_the_error_summary_lists_the_first_problems():
    error = ReadingsCsvError([CsvProblem(row=n, column="value", message="bad") for n in range(2, 32)])
    lines = str(error).splitlines()
    assert lines[0] == "the readings file cannot be imported (30 problems):"
    assert lines[1] == "  row 2, column 'value': bad" and lines[-1] == "  ... and 10 more" and len(lines) == 22
    assert str(CsvProblem(message="the file is empty")) == "the file is empty"
