"""Handouts as another office suite renders them: Debian's LibreOffice converts a .pptx or .xlsx to PDF
(`soffice --headless --convert-to pdf`, 10-20 s a call) and poppler reads the PDF back (pdftotext).

scripts/test.sh installs libreoffice-impress, libreoffice-calc and poppler-utils; without soffice the tests that
need it are skipped, saying why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SOFFICE = Path("/usr/bin/soffice")


def needs_office() -> None:
    """Skip the calling test (or fixture) unless LibreOffice and poppler are installed."""
    if not SOFFICE.is_file():
        pytest.skip(f"LibreOffice is not installed ({SOFFICE} is missing; scripts/test.sh installs it)")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed; scripts/test.sh installs it")


def to_pdf(files: list[Path], folder: Path) -> dict[str, Path]:
    """Each file converted to PDF in `folder` by one LibreOffice run, with a profile of its own (parallel runs never
    share one); the PDFs by the files' names."""
    command = [
        str(SOFFICE),
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        *(str(f) for f in files),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    pdfs = {f.name: folder / f"{f.stem}.pdf" for f in files}
    missing = [name for name, pdf in pdfs.items() if not pdf.is_file()]
    assert not missing, (
        f"LibreOffice did not convert {missing} (are libreoffice-impress and libreoffice-calc installed?): "
        f"{done.stdout[-300:]} {done.stderr[-300:]}"
    )
    return pdfs


def pages(pdf: Path, *, raw: bool = False) -> list[str]:
    """The text of each page (pdftotext puts a form feed after every page); `raw`: in the order it was drawn, which
    keeps each spreadsheet cell's wrapped lines together."""
    done = subprocess.run(
        ["pdftotext", *(["-raw"] if raw else []), str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout.split("\f")[:-1]


def squeezed(text: str) -> str:
    """The text without whitespace: a wrapped line reads as the sentence it was."""
    return re.sub(r"\s+", "", text)


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Word) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words(pdf: Path, page: int) -> list[Word]:
    """The words of one page (1-based) with their boxes, in points."""
    done = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        Word(m[5], float(m[1]), float(m[2]), float(m[3]), float(m[4]))
        for m in _WORD.finditer(done.stdout.replace("&amp;", "&"))
    ]
