"""Refuse hostile or unreadable files before any parser sees them.

Every part of the package is inflated once, through a capped stream that counts the bytes it really
produces (never the sizes the zip declares) and checks them against the recorded CRC and size. While
the bytes stream past, the same pass looks for XML entity declarations and counts the cells of every
sheet and how far they reach, so a file is refused before the reader allocates anything for it.

Limits (the first three are the design's "Import promises"; the cell limit is this module's):

- 50 MB on disk; every part at most 100:1 compressed (parts under 1 MB are exempt: tiny styles and
  empty sheets compress extremely well by nature); 1 GB uncompressed in all.
- 10,000,000 cells: the cells written in the whole workbook, and each sheet's used area (rows ×
  columns from A1 to its last cell, which is what the reader allocates, ≈ 70 bytes a cell). All
  1,048,576 rows of columns A–I pass, and so does 1,000,000 rows × 10 columns (a 1,000,000-row
  attendance sheet has 2 or 3); A–Z down to the last row does not, nor two cells at A1 and
  XFD1048576. The limit keeps any accepted workbook's import under 1 GB (bench/RESULTS.md).
- Every XML part is UTF-8 (as Excel and WPS write it); no DOCTYPE or ENTITY declaration anywhere,
  also not hidden in a UTF-16 or UTF-32 part.

Messages are catalogue keys; their parameters never carry library text (a parameter that is itself
words is given in both languages, `{"en": …, "zh": …}`).
"""

from __future__ import annotations

import codecs
import functools
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from defusedxml import ElementTree

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
# Small parts compress extremely well by nature (styles, empty sheets); the ratio only matters
# for parts big enough to hurt.
RATIO_MIN_BYTES = 1024 * 1024
MAX_CELLS = 10_000_000  # ≈ 900 MB at the reader's ≈ 70 bytes a cell, the import's whole peak under 1 GB
MAX_ROWS = 1_048_576  # Excel's grid
MAX_COLUMNS = 16_384

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 20
_OVERLAP = 32  # a seam of 2 x 31 bytes holds any pattern searched for across a chunk boundary

_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NS_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OFFICE_DOCUMENT = "/officeDocument"
_MAIN_TYPES = ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml", "sheet.macroEnabled.main+xml")


@dataclass
class FileRefused(Exception):
    """The file is refused as a whole; `key` names the message in the i18n catalogue."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str) -> str:
        import i18n
        from i18n import t

        params = {k: i18n.worded(v, lang) for k, v in self.params.items()}
        return t(self.key, lang, **params)

    def __str__(self) -> str:
        return self.message("en")


def both(key: str) -> dict[str, str]:
    """A catalogue text in both languages, for a parameter that is itself words."""
    from i18n import t

    return {"en": t(key, "en"), "zh": t(key, "zh")}


def damaged(detail: str) -> FileRefused:
    """The "damaged workbook" refusal with a reason from the catalogue (`file.detail.*`)."""
    return FileRefused("file.corrupt", {"detail": both(f"file.detail.{detail}")})


def _not_xlsx(looks_like: str) -> FileRefused:
    return FileRefused("file.not_xlsx", {"looks_like": both(f"file.looks_like.{looks_like}")})


def _looks_like(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.lstrip().lower().startswith((b"<html", b"<!doctype html", b"<?xml")):
        return "web"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return "binary"
    if "," in text or "\t" in text:
        return "csv"
    return "text"


def part_name(name: str) -> str:
    """A zip entry's name as a part name: forward slashes, no leading slash (Excel accepts both)."""
    return name.replace("\\", "/").lstrip("/")


# --- the streaming pass -------------------------------------------------------------------------

_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
# Byte order marks and BOM-less starts of "<?" in the wide encodings (XML 1.0, appendix F).
_WIDE = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_ROOT_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*[\s>/]")
_ANY_REF = re.compile(rb' r="([A-Z]*)([0-9]+)"')
_REF = re.compile(rb"([A-Z]*)([0-9]+)")
# Near references hold at most one letter (column <= 26) and at most six digits (row < 1,000,000).
_NEAR_COLUMNS = 26


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


@functools.cache
def _further(column: int, digits: int, lead: int) -> re.Pattern[bytes]:
    """A reference that may reach far (group 1: two or more letters, or a row of seven or more digits), or a near
    one (one letter at most, six digits at most) reaching further than the near reach seen so far (group 2: a column
    after `column`; group 3: a row of more than `digits` digits, or as many with a leading digit above `lead`). One
    search moves from one such reference to the next, so a part costs one scan, not a look at every reference."""
    far = rb"[A-Z]{2,}[0-9]+|[A-Z]?[0-9]{7,}"
    never = rb"(?!)"  # no near reference reaches further than the furthest there is
    wider = rb"[%c-Z][0-9]{1,6}" % (65 + column) if column < _NEAR_COLUMNS else never
    rows = [rb"[0-9]{%d,6}" % (digits + 1)] if digits < 6 else []
    rows += [rb"[%d-9][0-9]{%d}" % (lead + 1, digits - 1)] if digits and lead < 9 else []
    longer = b"|".join(rows) or never
    return re.compile(rb' r="(?:(' + far + rb")|(" + wider + rb")|[A-Z]?(" + longer + rb'))"')


_LETTERS, _DIGITS = bytes(range(65, 91)), b"0123456789"
_SHAPE = bytes.maketrans(_LETTERS + _DIGITS, b"A" * 26 + b"0" * 10)


@functools.cache
def _classes(column: int, lead: int) -> bytes:
    """Letters up to `column` a, after it Z; digits up to `lead` 0, above it 9 (see _Cells._may_reach_further)."""
    return bytes.maketrans(
        _LETTERS + _DIGITS, b"a" * column + b"Z" * (26 - column) + b"0" * (lead + 1) + b"9" * (9 - lead)
    )


class _Cells:
    """Counts the cells of one part and how far their references reach, chunk by chunk.

    Conservative and cheap: `<c` tags are counted (a few other elements starting so are counted
    too); references that may reach far (two or more letters, or a row of 7+ digits) are read
    exactly; of the near ones (one letter, six digits at most) only the furthest column letter, and the
    row's number of digits and leading digit, are kept: the near rows lie below (leading digit + 1) ×
    10^(digits − 1), at most twice the last row.
    """

    def __init__(self, head: bytes) -> None:
        root = _ROOT_PREFIX.search(head)
        self.tag = b"<" + ((root.group(1) or b"") if root else b"") + b"c"
        self.cells = 0
        self.rows = self.columns = 0
        self.near_column = 0  # the furthest near column (1–26)
        self.digits = self.lead = 0  # the near rows' most digits, and the highest leading digit of those

    def feed(self, tail: bytes, chunk: bytes) -> None:
        """Scan a chunk, and the seam: the end of the previous chunk (`tail`) with this one's start."""
        head = chunk[: _OVERLAP - 1]
        seam = tail + head
        tag = self.tag
        self.cells += chunk.count(tag) + seam.count(tag) - tail.count(tag) - head.count(tag)
        if self.cells:
            if self._may_reach_further(chunk):
                self._scan(chunk)
            self._scan(seam)

    def _may_reach_further(self, chunk: bytes) -> bool:
        """Whether the chunk may hold a reference _scan would act on. The scan tries a regular expression at every
        reference (1.4 s for a first workbook's 1,000,000-row sheet); a few byte searches on two translations of
        the chunk cost less (0.9 s), and only a chunk where one finds something is scanned (20 of that sheet's 126).
        Each search covers one of the pattern's branches (a superset: anything else found costs only a scan; the
        seams are scanned whatever they find). In the shape (letters A, digits 0): two letters (far), or more digits
        than the near rows have; in the classes (letters up to the furthest near column a, after it Z; digits up to
        the highest leading digit 0, above it 9): a column further, or a leading digit higher."""
        shape = chunk.translate(_SHAPE)
        digits = b"0" * (self.digits + 1)  # a row longer than the near ones (six digits at most), or a far one
        if b' r="AA' in shape or b' r="A' + digits in shape or b' r="' + digits in shape:
            return True
        if self.near_column >= _NEAR_COLUMNS and (not self.digits or self.lead >= 9):
            return False
        classes = chunk.translate(_classes(self.near_column, self.lead))
        return b' r="Z' in classes or b' r="a9' in classes or b' r="9' in classes

    def _scan(self, text: bytes) -> None:
        pattern = _further(self.near_column, self.digits, self.lead)
        position = 0
        while found := pattern.search(text, position):
            far, wider, rows = found.groups()
            if far is not None:
                match = _REF.fullmatch(far)
                if match is not None:  # always: the pattern only finds references
                    self._reach(int(match.group(2)), _column_number(match.group(1)))
            elif wider is not None:  # tried first: the same reference is looked at again, for its row
                self.near_column = wider[0] - 64
                pattern = _further(self.near_column, self.digits, self.lead)
                continue
            elif rows is not None:
                self.digits, self.lead = len(rows), rows[0] - 48
                pattern = _further(self.near_column, self.digits, self.lead)
            position = found.end()

    def _reach(self, row: int, column: int) -> None:
        if row > MAX_ROWS or column > MAX_COLUMNS:
            raise damaged("grid")
        self.rows, self.columns = max(self.rows, row), max(self.columns, column)

    def bound(self) -> tuple[int, int]:
        """Rows and columns at least as far as the part's references reach."""
        near_rows = (self.lead + 1) * 10 ** (self.digits - 1) - 1 if self.digits else 0
        return max(self.rows, near_rows), max(self.columns, self.near_column)

    @staticmethod
    def exact(chunks) -> tuple[int, int]:
        """The exact reach, from a second pass over the part (only when the bound is too large)."""
        rows = columns = 0
        tail = b""
        for chunk in chunks:
            for letters, digits in _ANY_REF.findall(tail + chunk):
                rows, columns = max(rows, int(digits)), max(columns, _column_number(letters))
            tail = chunk[-_OVERLAP:]
        return rows, columns


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: list[int]) -> Iterator[bytes]:
    """Yield a part's real bytes in chunks; refuse past the ratio, the total or the recorded size/CRC."""
    if info.flag_bits & 0x1:
        raise damaged("encrypted")
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04":
        raise damaged("zip")
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_len + extra_len
    compressed = memoryview(data)[start : start + info.compress_size]
    if len(compressed) != info.compress_size:
        raise damaged("zip")
    pieces: Iterator[memoryview] = iter(())
    inflater = None
    if info.compress_type == zipfile.ZIP_STORED:
        pieces = (compressed[i : i + _CHUNK] for i in range(0, len(compressed), _CHUNK))
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
    else:
        raise damaged("method")
    limit = max(info.compress_size, 1) * MAX_RATIO
    size = crc = 0

    def take(out: bytes) -> bytes:
        nonlocal size, crc
        size += len(out)
        budget[0] += len(out)
        if size >= RATIO_MIN_BYTES and size > limit:
            ratio = size / max(info.compress_size, 1)
            raise FileRefused("file.zip_ratio", {"part": part_name(info.filename), "ratio": ratio, "limit": MAX_RATIO})
        if budget[0] > MAX_TOTAL_BYTES:
            raise FileRefused("file.zip_total", {"total_mb": budget[0] / 2**20, "limit_mb": MAX_TOTAL_BYTES // 2**20})
        if size > info.file_size:  # more than the package says: it lies about its sizes
            raise damaged("part")
        crc = zlib.crc32(out, crc)
        return out

    if inflater is None:
        for piece in pieces:
            yield take(bytes(piece))
    else:
        try:
            for i in range(0, len(compressed), _CHUNK):
                buffer: bytes | memoryview = compressed[i : i + _CHUNK]
                while True:
                    out = inflater.decompress(buffer, _CHUNK)
                    if out:
                        yield take(out)
                    buffer = inflater.unconsumed_tail
                    if inflater.eof or (not buffer and len(out) < _CHUNK):
                        break
                if inflater.eof:
                    break
        except zlib.error:
            raise damaged("part") from None
        if not inflater.eof:
            raise damaged("part")
    if size != info.file_size or crc != info.CRC:
        raise damaged("part")


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _wide_encoding(head: bytes) -> str | None:
    for mark, encoding in _WIDE:
        if head.startswith(mark):
            return encoding
    return None


# watch(part name) -> a callable given each chunk of that part as it is inflated, or None: see check()
Watch = Callable[[str], Callable[[bytes], None] | None]


def _check_part(data: bytes, info: zipfile.ZipInfo, budget: list[int], watch: Watch | None = None) -> int:
    """Stream one part through every check; return its cell count."""
    name = part_name(info.filename)
    chunks = _inflate(data, info, budget)
    first = next(chunks, b"")
    wide = _wide_encoding(first)
    if wide:
        # Excel never writes UTF-16/32 and the reader cannot read it; look inside first so that a
        # declaration hidden by the encoding is called what it is.
        decoder = codecs.getincrementaldecoder(wide)(errors="replace")
        carried = ""
        for chunk in _chain(first, chunks):
            text = carried + decoder.decode(chunk)
            if re.search(r"<!(?:DOCTYPE|ENTITY)", text, re.IGNORECASE):
                raise FileRefused("file.xml_entities", {"part": name})
            carried = text[-_OVERLAP:]
        raise FileRefused("file.xml_encoding", {"part": name})
    declared = _ENCODING.match(first.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise FileRefused("file.xml_encoding", {"part": name})
    cells = _Cells(first[:4096])
    tail = b""
    seen = watch(name) if watch is not None else None
    for chunk in _chain(first, chunks):
        if seen is not None:
            seen(chunk)
        # A pattern cut by the boundary lies whole in the seam; one wholly inside either side is
        # not in it (each pattern is shorter than the overlap kept on each side minus one).
        seam = tail + chunk[: _OVERLAP - 1]
        for part in (seam, chunk):
            if part.find(b"!") >= 0 and _DECLARATIONS.search(part):  # memchr first: "<" is everywhere
                raise FileRefused("file.xml_entities", {"part": name})
        cells.feed(tail, chunk)
        tail = chunk[-(_OVERLAP - 1) :]
    if cells.cells > MAX_CELLS:
        raise FileRefused("file.too_many_cells", {"cells": cells.cells, "limit": MAX_CELLS})
    if cells.cells:
        rows, columns = cells.bound()
        if rows * columns > MAX_CELLS:
            rows, columns = _Cells.exact(_inflate(data, info, [0]))
            if rows > MAX_ROWS or columns > MAX_COLUMNS:
                raise damaged("grid")
            if rows * columns > MAX_CELLS:
                raise FileRefused(
                    "file.sheet_too_large",
                    {"rows": rows, "columns": columns, "cells": rows * columns, "limit": MAX_CELLS},
                )
    return cells.cells


# --- the package's structure ---------------------------------------------------------------------


def _parts(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Part name -> entry; two entries for one part name make the package ambiguous (damaged)."""
    parts: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = part_name(info.filename)
        if name in parts:
            raise damaged("names")
        parts[name] = info
    return parts


def _resolve(base: str, target: str) -> str:
    """A relationship target -> part name (relative to the folder of `base`, or absolute)."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def rels_name(part: str) -> str:
    """The relationships part of `part` (xl/workbook.xml -> xl/_rels/workbook.xml.rels)."""
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _xml(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], name: str):
    info = parts.get(name)
    if info is None:
        return None
    try:
        return ElementTree.fromstring(archive.read(info))
    except Exception:  # a damaged or non-XML structural part
        raise damaged("unreadable") from None


def main_part(archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo]) -> tuple[str | None, str]:
    """The workbook part as Excel finds it (package relationships, then content types) and its type."""
    types = _xml(archive, parts, "[Content_Types].xml")
    overrides = {}
    if types is not None:
        for override in types.iter(f"{_NS_CT}Override"):
            overrides[part_name(override.get("PartName", ""))] = override.get("ContentType", "")
    rels = _xml(archive, parts, "_rels/.rels")
    if rels is not None:
        for rel in rels.iter(f"{_NS_PKG}Relationship"):
            if rel.get("Type", "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
                target = _resolve("", rel.get("Target", ""))
                if target in parts:
                    return target, overrides.get(target, "")
    for name, content_type in overrides.items():
        if content_type.endswith(_MAIN_TYPES) and name in parts:
            return name, content_type
    for name in ("xl/workbook.xml", "xl/workbook.bin"):
        if name in parts:
            return name, overrides.get(name, "")
    return None, ""


def check(data: bytes, *, max_bytes: int = MAX_FILE_BYTES, watch: Watch | None = None) -> None:
    """Raise FileRefused unless `data` is a plain, sane .xlsx package.

    `watch`, when given, is shown the parts' real bytes as this pass inflates them (watch(name) returns what to
    call with each chunk, or None), so that a reader's own scan of the XML needs no second inflation. What it was
    shown is only to be used once check() has returned: the chunks come before their part's verdict."""
    if len(data) == 0:
        raise FileRefused("file.empty")
    if len(data) > max_bytes:
        raise FileRefused("file.too_large", {"size_mb": len(data) / 2**20, "limit_mb": max_bytes // 2**20})
    if data.startswith(_OLE):
        raise FileRefused("file.xls")
    if not data.startswith(b"PK"):
        raise _not_xlsx(_looks_like(data[:2048]))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:  # zipfile raises many kinds on a damaged package; all mean "damaged"
        raise damaged("zip") from None
    parts = _parts(archive)
    if any(n.lower().endswith("vbaproject.bin") for n in parts):
        raise FileRefused("file.macros")
    budget = [0]
    cells = 0
    for info in infos:
        if info.is_dir():
            continue
        try:
            cells += _check_part(data, info, budget, watch)
        except (struct.error, ValueError, OverflowError):  # a header pointing outside the file
            raise damaged("zip") from None
        if cells > MAX_CELLS:
            raise FileRefused("file.too_many_cells", {"cells": cells, "limit": MAX_CELLS})
    main, content_type = main_part(archive, parts)
    if main is None:
        raise _not_xlsx("zip")
    if main.lower().endswith(".bin") or "binary" in content_type:
        raise _not_xlsx("xlsb")
    if "macroEnabled" in content_type:
        raise FileRefused("file.macros")
    types = parts.get("[Content_Types].xml")
    if types is not None and b"macroEnabled" in archive.read(types):
        raise FileRefused("file.macros")


# Parts the reader (calamine) looks for by their usual name, not through the relationships.
_FIXED = {"/sharedStrings": "xl/sharedStrings.xml", "/styles": "xl/styles.xml"}


def normalise(data: bytes) -> bytes:
    """The package as the reader expects it (xl/workbook.xml, forward slashes); `data` passed check().

    Excel opens packages whose entries use backslashes or whose parts have other names (found through
    _rels/.rels, the workbook's relationships and [Content_Types].xml); the reader (calamine) looks for
    xl/workbook.xml, xl/sharedStrings.xml and xl/styles.xml. Such a package is rewritten in memory with
    those names and absolute relationship targets; a standard one is returned as it is.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _parts(archive)
        main, _ = main_part(archive, parts)
        if main is None:
            return data
        moves = {main: "xl/workbook.xml", rels_name(main): "xl/_rels/workbook.xml.rels"}
        rels = _xml(archive, parts, rels_name(main))
        for rel in rels.iter(f"{_NS_PKG}Relationship") if rels is not None else ():
            fixed = next((name for kind, name in _FIXED.items() if rel.get("Type", "").endswith(kind)), None)
            if fixed and rel.get("TargetMode") != "External":
                moves[_resolve(main, rel.get("Target", ""))] = fixed
        moves = {old: new for old, new in moves.items() if old != new and old in parts}
        if not moves and all(info.filename == name for name, info in parts.items()):
            return data
        if any(new in parts and new not in moves for new in moves.values()):
            raise damaged("names")  # a standard name already taken by another part
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name, info in parts.items():
                body = archive.read(info)
                if name == rels_name(main):
                    body = _absolute_targets(body, main, moves)
                elif name == "_rels/.rels":
                    body = _retarget_main(body)
                elif name == "[Content_Types].xml":
                    for old, new in moves.items():
                        body = re.sub(
                            rb'PartName="/?' + re.escape(old.encode()) + rb'"', f'PartName="/{new}"'.encode(), body
                        )
                dst.writestr(moves.get(name, name), body)
        return out.getvalue()


def _absolute_targets(body: bytes, base: str, moves: dict[str, str]) -> bytes:
    """Rewrite the workbook's relationship targets as absolute part names, where they moved to."""

    def fix(match: re.Match) -> bytes:
        element = match.group(0)
        if b'TargetMode="External"' in element:
            return element
        target = re.search(rb'Target="([^"]*)"', element)
        if not target:
            return element
        resolved = _resolve(base, target.group(1).decode("utf-8"))
        resolved = moves.get(resolved, resolved)
        return element.replace(target.group(0), b'Target="/' + resolved.encode("utf-8") + b'"')

    return re.sub(rb"<(?:\w+:)?Relationship\b[^>]*>", fix, body)


def _retarget_main(body: bytes) -> bytes:
    def fix(match: re.Match) -> bytes:
        element = match.group(0)
        if not re.search(rb'Type="[^"]*/officeDocument"', element):
            return element
        return re.sub(rb'Target="[^"]*"', b'Target="xl/workbook.xml"', element)

    return re.sub(rb"<(?:\w+:)?Relationship\b[^>]*>", fix, body)
