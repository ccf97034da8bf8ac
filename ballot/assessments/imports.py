"""Reading an uploaded table (XLSX or CSV) into rows of text, shared by the roster and P/T imports.

The first non-blank row holds the headings; each later non-blank row comes back with its row
number in the file, so every problem can be reported the way a user sees it in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ballot.errors import Refusal

#: Most columns read from a file; anything wider is not one of our templates.
MAX_COLUMNS = 30
#: CSV encodings tried in turn: UTF-8 (with or without BOM), then what Chinese Excel writes.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class TableError(Refusal):
    """A file that cannot be imported; ``problems`` lists every one found, nothing is saved."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__(_l("文件未能导入，未保存任何内容。"), problems=list(problems))


@dataclass(frozen=True)
class TableRow:
    """One data row: its number in the file (the heading row is usually 1) and cells by key."""

    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Table:
    """The recognised columns (keys) present in the file and the data rows."""

    columns: frozenset[str]
    rows: list[TableRow]


def heading_key(text: str) -> str:
    """A heading as matched against the known names: no spaces (姓　名 = 姓名), lower case."""
    return re.sub(r"\s+", "", text).lower()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user sees: 3.0 -> "3", 85.25 -> "85.25", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableError([_("无法读取文件：不是有效的 Excel (.xlsx) 文件。")]) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            yield [cell_text(value) for value in row]
    except TableError:
        raise
    except Exception:
        raise TableError([_("无法读取文件：不是有效的 Excel (.xlsx) 文件。")]) from None
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data:
        raise TableError([_("无法读取文件：不是文本格式的 CSV 文件。")])
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError([_("无法读取文件：CSV 文件的编码无法识别，请存为 UTF-8 或 GBK。")])
    try:
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
            yield [cell.strip() for cell in row[:MAX_COLUMNS]]
    except csv.Error:
        raise TableError([_("无法读取文件：CSV 格式有误。")]) from None


def raw_rows(filename: str, data: bytes) -> Iterator[list[str]]:
    """The file's rows as text cells, by its type (.xlsx or .csv)."""
    name = filename.strip().lower()
    if not data:
        raise TableError([_("文件是空的。")])
    if name.endswith(".xlsx"):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise TableError([_("无法读取文件：不是有效的 Excel (.xlsx) 文件。")])
        return _xlsx_rows(data)
    if name.endswith(".csv"):
        return _csv_rows(data)
    if name.endswith((".xls", ".et", ".wps")):
        raise TableError([_("不支持旧版 Excel 文件“%(name)s”：请在 Excel 中另存为 .xlsx 或 .csv 后再上传。",
                            name=filename)])
    raise TableError([_("文件类型不支持：“%(name)s”。请上传 .xlsx 或 .csv 文件。", name=filename or "?")])


def read_table(
    filename: str,
    data: bytes,
    columns: dict[str, str],
    *,
    required: Sequence[str],
    labels: dict[str, str],
    max_rows: int,
    at_least_one_of: Iterable[str] = (),
) -> Table:
    """Read the file; headings are matched through ``columns`` (heading -> key).

    Refuses (TableError, every problem listed) an unreadable or empty file, unknown or repeated
    headings, missing ``required`` columns, and more than ``max_rows`` data rows.
    """
    known = {heading_key(name): key for name, key in columns.items()}
    rows = raw_rows(filename, data)
    header: list[str] | None = None
    body: list[TableRow] = []
    keys: list[str | None] = []
    count = 0
    for number, cells in enumerate(rows, start=1):
        if not any(cells):
            continue
        if header is None:
            header = cells
            problems: list[object] = []
            seen: dict[str, str] = {}
            for text in header:
                key = known.get(heading_key(text)) if text else None
                if text and key is None:
                    problems.append(_("第%(row)s行：未知的列“%(heading)s”（可用的列：%(names)s）。",
                                      row=number, heading=text,
                                      names="、".join(labels[k] for k in labels)))
                elif key is not None and key in seen:
                    problems.append(_("第%(row)s行：列“%(heading)s”与“%(other)s”重复。",
                                      row=number, heading=text, other=seen[key]))
                    key = None
                elif key is not None:
                    seen[key] = text
                keys.append(key)
            for key in required:
                if key not in seen:
                    problems.append(_("第%(row)s行：缺少列“%(heading)s”。",
                                      row=number, heading=labels[key]))
            wanted = list(at_least_one_of)
            if wanted and not any(key in seen for key in wanted):
                problems.append(_("第%(row)s行：至少需要以下一列：%(names)s。", row=number,
                                  names="、".join(labels[k] for k in wanted)))
            if problems:
                raise TableError(problems)
            continue
        count += 1
        if count > max_rows:
            # Stop reading: a small compressed file can unpack to millions of rows.
            raise TableError([_("行数过多：最多 %(max)s 行（不含列标题），第%(row)s行已超出。",
                                max=max_rows, row=number)])
        values = {key: cells[i] if i < len(cells) else ""
                  for i, key in enumerate(keys) if key is not None}
        body.append(TableRow(number, values))
    if header is None:
        raise TableError([_("文件是空的。")])
    return Table(frozenset(k for k in keys if k is not None), body)


def write_table(fmt: str, headings: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A template file: XLSX, or CSV in UTF-8 with a BOM so Excel shows the Chinese correctly."""
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(list(headings))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, heading in enumerate(headings):
            sheet.column_dimensions[chr(ord("A") + index)].width = max(12, 3 * len(heading))
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


#: Download types of the templates.
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
