"""An Excel copy of an uploaded workbook with every bad cell highlighted and explained in a comment."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

import i18n
from etl.validate import Problem
from i18n import t

BAD = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
BAD_FONT = Font(color="9C0006", bold=True)
PROBLEMS_SHEET = {"zh": "_问题清单", "en": "_Problems"}


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (= + - @) is prefixed with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def annotate(data: bytes, problems: list[Problem], lang: str = "zh") -> bytes:
    """The workbook with bad cells filled red and commented, plus a first sheet listing every problem."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for problem in problems:
        if problem.sheet not in wb.sheetnames or problem.row is None:
            continue
        ws = wb[problem.sheet]
        cell = ws[f"{problem.column or 'A'}{problem.row}"]
        cell.fill = BAD
        text = problem.message(lang)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n{text}"
        cell.comment = Comment(text, "Dashboard", width=320, height=140)
    listing = wb.create_sheet(str(i18n.worded(PROBLEMS_SHEET, lang)), 0)
    headers = [t(f"problems.{h}", lang) for h in ("sheet", "row", "column", "header", "value", "message")]
    listing.append(headers)
    for cell in listing[1]:
        cell.font = Font(bold=True)
    for p in problems:
        listing.append([neutralise(v) for v in (p.sheet, p.row, p.column, p.header, p.value, p.message(lang))])
    for letter, width in zip("ABCDEF", (14, 8, 8, 16, 20, 80), strict=True):
        listing.column_dimensions[letter].width = width
    listing.freeze_panes = "A2"
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
