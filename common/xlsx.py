"""Saving a workbook built in memory (not write-only) faster than openpyxl's ``Workbook.save``, with the same
cells: used for the monthly bulletins, whose sheets hold ~1.3 million cells nationally.
"""

from __future__ import annotations

import datetime as dt
import io
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

# openpyxl writes a sheet's cells one at a time through lxml's incremental writer, with a dozen Python calls per cell
# (its coordinate, style id, type, an element per tag): for the ~1.3 million cells of the 33 bulletins of a national
# deployment that was 18 s of the job's CPU, more than building the cells. ``save_workbook`` is ``Workbook.save`` with
# one difference: a sheet's rows are written as text, one formatted string per cell, straight into the sheet's XML
# where openpyxl's own rows would go (the rest of the sheet and of the workbook is openpyxl's). The cells, their
# values, types and styles are the same (``tests/projects/test_bulletins.py`` compares every cell with openpyxl's own
# save). A sheet holding anything else than values and styles (a formula, a comment, a hyperlink, rich text, a row's
# own height) is written by openpyxl as before.
# openpyxl is pinned (requirements/base.txt): the two writer classes below follow its 3.1 internals.


class _SheetWriter(WorksheetWriter):
    def write_rows(self) -> None:
        sheet = self.ws
        if sheet.row_dimensions:
            super().write_rows()
            return
        workbook = sheet.parent
        epoch = workbook.epoch
        # A cell's style (its array's bytes) → its ' s="…"' attribute, "" for the default style.
        styles: dict[bytes, str] = {}
        letters: dict[int, str] = {}
        parts = ["<sheetData>"]
        current_row = None
        for (row_idx, col_idx), cell in sorted(sheet._cells.items()):
            value = cell._value
            data_type = cell.data_type
            if (
                data_type == "f"
                or (data_type == "s" and not isinstance(value, str))  # rich text
                or cell._comment is not None
                or cell._hyperlink is not None
            ):
                super().write_rows()  # nothing has been written yet
                return
            if row_idx != current_row:
                if current_row is not None:
                    parts.append("</row>")
                parts.append(f'<row r="{row_idx}">')
                current_row = row_idx
            style = cell._style
            style_attribute = ""
            if style is not None:
                key = style.tobytes()
                style_attribute = styles.get(key)
                if style_attribute is None:
                    style_attribute = styles[key] = f' s="{workbook._cell_styles.add(style)}"' if any(style) else ""
            if value is None and not style_attribute:
                continue
            letter = letters.get(col_idx)
            if letter is None:
                letter = letters[col_idx] = get_column_letter(col_idx)
            if data_type == "s":
                if value == "":
                    parts.append(f'<c r="{letter}{row_idx}"{style_attribute} t="inlineStr"/>')
                    continue
                space = ' xml:space="preserve"' if value != value.strip() else ""
                text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
                parts.append(
                    f'<c r="{letter}{row_idx}"{style_attribute} t="inlineStr"><is><t{space}>{text}</t></is></c>'
                )
                continue
            if data_type == "d":
                data_type = "n"
                value = to_excel(value, epoch)
            if value is None or value == "":
                parts.append(f'<c r="{letter}{row_idx}"{style_attribute} t="{data_type}"/>')
                continue
            text = safe_string(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            parts.append(f'<c r="{letter}{row_idx}"{style_attribute} t="{data_type}"><v>{text}</v></c>')
        if current_row is not None:
            parts.append("</row>")
        parts.append("</sheetData>")
        # Written as they are, after what lxml has written so far; ASCII with character references, as lxml writes
        # (the rest of the sheet's XML, openpyxl's, is ASCII too).
        xf = self.xf.send(True)
        xf.flush()
        self.out.write("".join(parts).encode("ascii", "xmlcharrefreplace"))
        self.xf.send(None)


class _ExcelWriter(ExcelWriter):
    def write_worksheet(self, ws: Worksheet) -> None:
        # openpyxl's ExcelWriter.write_worksheet for a workbook that is not write-only, with the writer above.
        # Written in memory rather than a temporary file, so that _SheetWriter can add its rows to the stream.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.out.getvalue())
        self.manifest.append(ws)


def save_workbook(workbook: Workbook, stream: io.BytesIO) -> None:
    """``workbook.save(stream)`` (openpyxl's ``save_workbook``), its sheets written by ``_SheetWriter``."""
    archive = ZipFile(stream, "w", ZIP_DEFLATED, allowZip64=True)
    workbook.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    _ExcelWriter(workbook, archive).save()
