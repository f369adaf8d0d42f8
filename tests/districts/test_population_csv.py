"""Reading a population table: every problem with its line number, all at once."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from dialog.districts.population import MAX_LINES, MAX_PROBLEMS, parse

CODES = {"norr", "soder", "0181"}


@pytest.fixture(autouse=True)
def _app_context(ctx):
    """Messages are translated, so they need the app; read here in English (the Swedish
    ones are the catalogue's, checked by test_i18n)."""
    with force_locale("en"):
        yield


def problems(text: str | bytes) -> list[tuple[int | None, str]]:
    data = text.encode() if isinstance(text, str) else text
    return [(p.line, p.message) for p in parse(data, CODES).problems]


def test_a_valid_table_is_read_whole():
    parsed = parse(
        b"district_code,age_band,count\nnorr,18_29,120\nsoder,80_plus,0\n0181,30_44,7\n", CODES
    )
    assert parsed.valid
    assert parsed.counts == {("norr", "18_29"): 120, ("soder", "80_plus"): 0, ("0181", "30_44"): 7}


def test_statistics_sweden_exports_semicolons_a_byte_order_mark_and_grouped_thousands():
    data = (
        "\ufeffDistrict_Code;Age_Band;Count\r\n"
        'norr;18-29;"1 234"\r\n'
        "soder;45–64;12\u00a0005\r\n"
        "\r\n"
    ).encode()
    parsed = parse(data, CODES)
    assert parsed.problems == []
    assert parsed.counts == {("norr", "18_29"): 1234, ("soder", "45_64"): 12005}


def test_tabs_separate_fields_too_and_extra_columns_are_left_alone():
    parsed = parse(b"region\tdistrict_code\tage_band\tcount\n01\tNORR\tunder_18\t5\n", CODES)
    assert parsed.counts == {("norr", "under_18"): 5}


def test_every_kind_of_problem_is_reported_with_its_line():
    text = (
        "district_code,age_band,count\n"  # 1
        "norr,18_29,10\n"  # 2
        "atlantis,18_29,10\n"  # 3: unknown district
        "soder,teenagers,10\n"  # 4: unknown age band
        "soder,30_44,many\n"  # 5: not a whole number
        "soder,45_64,-3\n"  # 6: negative
        "norr,18_29,11\n"  # 7: twice
        "soder,65_79,2.5\n"  # 8: not a whole number
        ",65_79,\n"  # 9: empty code and empty count
        "soder,,4\n"  # 10: empty band
        "soder,65_79,99999999999\n"  # 11: too large
    )
    found = problems(text)
    assert [line for line, _message in found] == [3, 4, 5, 6, 7, 8, 9, 9, 10, 11]
    messages = dict(found)
    assert "atlantis" in messages[3]
    assert "teenagers" in messages[4] and "18_29" in messages[4]
    assert "many" in messages[5]
    assert "negative" in messages[6]
    assert "line 2" in messages[7]
    assert "2.5" in messages[8]
    assert "age band is empty" in messages[10]
    assert "too large" in messages[11]
    assert [m for line, m in found if line == 9] == [
        "The district code is empty.",
        "The count is empty.",
    ]


def test_nothing_is_kept_from_a_file_with_one_bad_line():
    parsed = parse(b"district_code,age_band,count\nnorr,18_29,10\nnorr,18_29,x\n", CODES)
    assert not parsed.valid
    assert parsed.counts == {}


def test_a_missing_column_is_named_on_the_header_line():
    assert problems("\n\ndistrict_code;count\nnorr;4\n") == [(3, "The column age_band is missing.")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (None, "The file is empty.")),
        (b"  \n\r\n ", (None, "The file is empty.")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", (None, "not a text file")),
        (b"district_code,age_band,count\nn\xf6rr,18_29,1\n", (2, "not UTF-8")),
        (b"district_code,age_band,count\n", (None, "no counts")),
    ],
)
def test_files_that_are_no_table_get_one_clear_message(data, expected):
    found = problems(data)
    assert len(found) == 1
    assert found[0][0] == expected[0] and expected[1] in found[0][1]


def test_thousands_of_junk_lines_end_in_a_short_list():
    junk = b"district_code,age_band,count\n" + b"x,y,z\n" * (MAX_LINES - 10)
    found = problems(junk)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1] == (None, "Reading stopped after 100 problems. Correct these first.")
    assert found[MAX_PROBLEMS - 1][0] == 35  # three problems a line, from line 2


def test_too_many_lines_are_refused_before_reading_them():
    assert problems(b"district_code,age_band,count\n" + b"norr,18_29,1\n" * MAX_LINES) == [
        (None, f"The file has more than {MAX_LINES} lines.")
    ]


def test_a_line_too_long_for_csv_is_a_problem_of_that_line():
    found = problems(b"district_code,age_band,count\nnorr,18_29," + b"9" * 200_000 + b"\n")
    assert found == [(2, "The line cannot be read as CSV.")]
