"""Value parsers: every accepted form, and what is refused instead of guessed."""

import datetime as dt

import pandas as pd
import pytest

from etl import values


def one(parser, text, *args):
    parsed, bad = parser(values.normalize(pd.Series([text], dtype="object")), *args)
    return (None if bad[0] else parsed.iloc[0]), bool(bad[0])


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-05",
        "2024/3/5",
        "2024年3月5日",
        "2024.3.5",
        "20240305",
        "2024-03-05 00:00:00",
        "２０２４－０３－０５",
        " 2024-3-5 ",
    ],
)
def test_dates_accepted(text):
    value, bad = one(values.parse_date, text)
    assert not bad
    assert value.date() == dt.date(2024, 3, 5)


@pytest.mark.parametrize("text", ["2024-02-30", "待定", "45000", "3/5/2024", "2024-13-01", "明年"])
def test_dates_refused(text):
    assert one(values.parse_date, text)[1]


def test_dates_at_century_edges():
    assert one(values.parse_date, "1900-01-01")[0].date() == dt.date(1900, 1, 1)
    assert one(values.parse_date, "2100-12-31")[0].date() == dt.date(2100, 12, 31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1200", 1200),
        ("1,200", 1200),
        ("¥1,200", 1200),
        ("￥1,200.50", 1200.5),
        ("1200元", 1200),
        ("6.5万", 65000),
        ("１２００", 1200),
        ("RMB 300", 300),
        ("1.2亿", 120000000),
    ],
)
def test_amounts_accepted(text, expected):
    value, bad = one(values.parse_amount, text)
    assert not bad
    assert value == expected


@pytest.mark.parametrize("text", ["1,20", "abc", "12万元万", "1.2.3", "约1000"])
def test_amounts_refused(text):
    assert one(values.parse_amount, text)[1]


@pytest.mark.parametrize(("text", "expected"), [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True)])
def test_booleans(text, expected):
    assert one(values.parse_bool, text) == (expected, False)


def test_boolean_refused():
    assert one(values.parse_bool, "也许")[1]


@pytest.mark.parametrize("text", ["已完成", "completed", "Completed", " COMPLETED "])
def test_enum_code_or_label(text):
    assert one(values.parse_enum, text, {"completed": "已完成"}) == ("completed", False)


def test_enum_spaces_and_dashes():
    choices = {"in_progress": "实施中"}
    assert one(values.parse_enum, "In progress", choices)[0] == "in_progress"
    assert one(values.parse_enum, "in-progress", choices)[0] == "in_progress"
    assert one(values.parse_enum, "done?", choices)[1]


def test_int_refuses_fractions():
    assert one(values.parse_int, "12.0") == (12, False)
    assert one(values.parse_int, "12.5")[1]


def test_target_percent():
    assert one(values.parse_target, "100%")[0] == 1.0
    assert one(values.parse_target, "110")[0] == 110


def test_blank_is_missing_not_error():
    value, bad = one(values.parse_amount, "   ")
    assert value is None or pd.isna(value)
    assert not bad


def test_huge_numbers_are_errors_not_crashes():
    assert one(values.parse_int, "99999999999999999999999")[1]
    assert not one(values.parse_amount, "99999999999999999999999")[1]  # the kind's max catches it


@pytest.mark.parametrize("limit", [values._CODE_LIMIT, 4])
def test_distinct_finds_a_repeated_combination_of_columns(limit, monkeypatch):
    # (a, b) pairs that repeat no column value alone; with a small limit the combined codes are renumbered between
    # columns, as when their product would overflow an int64.
    monkeypatch.setattr(values, "_CODE_LIMIT", limit)
    frame = pd.DataFrame(
        {
            "a": pd.array(["S1", "S1", "S2", "S2", "S3"], dtype="string[pyarrow]"),
            "b": pd.array(["001", "002", "001", "002", "001"], dtype="string[pyarrow]"),
            "c": pd.array(["x", "x", "x", "x", "x"], dtype="string[pyarrow]"),
        }
    )
    assert values.distinct(frame)
    assert not values.distinct(pd.concat([frame, frame.iloc[[3]]], ignore_index=True))
    assert values.distinct(frame[["a", "b"]])
    assert not values.distinct(frame[["a", "c"]])
    assert values.distinct(frame.iloc[:1])


# A column of few distinct values is parsed once per value and spread back (etl.validate._parse): every type gives
# what parsing each cell gives, blanks and unreadable cells included.
_SAMPLES = {
    "date": ["2024-03-05", "2024/3/5", "2024年3月5日", "20240230", "明天", None, "2023.12.31"],
    "amount": ["¥1,200.50", "3万", "abc", None, "0", "-5"],
    "int": ["12", "12.0", "x", None, "007"],
    "number": ["1,200.5", "1,20", None, ".5"],
    "bool": ["是", "否", "yes", "maybe", None],
    "year": ["2024", "2024年", "24", None],
    "enum": ["队长", "member", "Team Leader", "??", None, "team-leader"],
}


@pytest.mark.parametrize("kind", sorted(_SAMPLES))
def test_a_column_parsed_once_per_value_is_the_column_parsed_cell_by_cell(kind):
    import numpy as np

    from etl import kinds, validate

    typed = {"date": kinds.DATE, "amount": kinds.AMOUNT, "int": kinds.INT, "number": kinds.NUMBER}
    typed |= {"bool": kinds.BOOL, "year": kinds.YEAR, "enum": kinds.ENUM}
    choices = {"leader": "队长", "member": "队员", "team_leader": "Team Leader"}
    column = kinds.Column("x", "某列", typed[kind], choices=choices if kind == "enum" else {})
    rng = np.random.default_rng(7)
    cells = [_SAMPLES[kind][i] for i in rng.integers(0, len(_SAMPLES[kind]), validate._DISTINCT_FROM * 3)]
    text = pd.Series(cells, dtype="string[pyarrow]", index=range(5, 5 + len(cells)))
    once, bad_once, key_once = validate._parse(column, text)
    each, bad_each, key_each = validate._parse_each(column, text)
    assert key_once == key_each and (bad_once == bad_each).all() and bad_each.any()
    pd.testing.assert_series_equal(once, each, check_names=False)
