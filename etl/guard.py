"""Refuse hostile or unreadable files before any parser sees them."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
# Small parts compress extremely well by nature (styles, empty sheets); the ratio only matters
# for parts big enough to hurt.
RATIO_MIN_BYTES = 1024 * 1024

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class FileRefused(Exception):
    """The file is refused as a whole; `key` names the message in the i18n catalogue."""

    key: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        from i18n import t

        return t(self.key, "en", **self.params)


def _looks_like(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF"
    if head.lstrip().lower().startswith((b"<html", b"<!doctype html", b"<?xml")):
        return "a web page or XML file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return "random binary data"
    if "," in text or "\t" in text:
        return "a CSV or text file"
    return "a text file"


def check(data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Raise FileRefused unless `data` is a plain, sane .xlsx package."""
    if len(data) == 0:
        raise FileRefused("file.empty")
    if len(data) > max_bytes:
        raise FileRefused("file.too_large", {"size_mb": len(data) / 2**20, "limit_mb": max_bytes // 2**20})
    if data.startswith(_OLE):
        raise FileRefused("file.xls")
    if not data.startswith(b"PK"):
        raise FileRefused("file.not_xlsx", {"looks_like": _looks_like(data[:2048])})
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds on a damaged package; all mean "damaged"
        raise FileRefused("file.corrupt", {"detail": str(exc)}) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise FileRefused("file.not_xlsx", {"looks_like": "a zip archive of other files"})
    if "xl/workbook.bin" in names:
        raise FileRefused("file.not_xlsx", {"looks_like": "a binary .xlsb workbook"})
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise FileRefused("file.macros")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise FileRefused("file.zip_ratio", {"part": info.filename, "ratio": ratio, "limit": MAX_RATIO})
    if total > MAX_TOTAL_BYTES:
        raise FileRefused("file.zip_total", {"total_mb": total / 2**20, "limit_mb": MAX_TOTAL_BYTES // 2**20})
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as part:
                head = part.read(8192)
        except Exception as exc:
            raise FileRefused("file.corrupt", {"detail": f"{info.filename}: {exc}"}) from None
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise FileRefused("file.xml_entities", {"part": info.filename})
        if info.filename == "[Content_Types].xml" and b"macroEnabled" in head:
            raise FileRefused("file.macros")
