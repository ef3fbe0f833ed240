"""Coverage-guided fuzzing of the workbook path (guard -> reader -> validation), run on demand.

    pip install atheris
    python fuzz/fuzz_reader.py -max_total_time=300 fuzz/corpus

Any exception other than the project's refusals (guard.FileRefused from the guard, and its subclass
read.UnreadableWorkbook from the reader) is a finding: the libraries' own exceptions on a damaged package
are caught by type inside etl/read.py, so one reaching here is a reader bug. The corpus folder is seeded with
small generated workbooks on first run.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
with atheris.instrument_imports():
    import pandas as pd

    from etl import guard
    from etl.read import read_workbook
    from etl.validate import validate

ROOT = Path(__file__).resolve().parent.parent


def no_stored_keys(kind: str) -> pd.Series:
    return pd.Series([], dtype="string")


def seed(corpus: Path) -> None:
    import openpyxl

    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    for row in (["人员编号", "姓名", "社区", "岗位"], ["001", "张三", "杨行一村", "书记"], ["合计", None, None, None]):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    (corpus / "roster.xlsx").write_bytes(buffer.getvalue())


def one_input(data: bytes) -> None:
    try:
        guard.check(data)
    except guard.FileRefused:
        return
    try:
        sheets = read_workbook(data)
    except guard.FileRefused as refused:  # UnreadableWorkbook, or the guard's rewrite of part names
        assert "calamine" not in refused.message("en") and refused.message("zh")
        return
    validate(sheets, no_stored_keys)


if __name__ == "__main__":
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), ROOT / "fuzz" / "corpus")
    seed(corpus)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
