"""A long document rendered in parts by worker processes and joined (common/pdf.py) is the document WeasyPrint
makes of it whole: the same pages, page numbers running across the parts, the same bookmarks and title."""

from __future__ import annotations

import io
import shutil
import subprocess

import pikepdf
import pytest
from django.conf import settings

from common import pdf as pdfs

BASE_URL = str(settings.BASE_DIR)


def document(sections: int) -> str:
    """An A4 document with a header and "第 n 页 / 共 N 页" footers, a title, a chapter and ``sections`` sections
    of a page each, cut before each section but the first."""
    body = ["<h1>评价报告</h1><h2>一、总体</h2><p>总体情况。</p><h2>二、各县</h2>"]
    for number in range(1, sections + 1):
        mark = pdfs.PART_BREAK if number > 1 else ""
        style = ' style="break-before: page"' if number > 1 else ""
        body.append(f"{mark}<section{style}><h3>{number}. 县{number}</h3><p>第{number}县的情况。</p></section>")
    body.append("<h2>附注</h2><p>说明。</p>")
    return (
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><title>评价报告 2025</title><style>'
        "@page { size: A4; margin: 16mm; @top-right { content: '县域经济发展评价报告'; }"
        ' @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; } }'
        "html { background: #fff; } body { font-family: 'Noto Sans CJK SC', sans-serif; }"
        "</style></head><body>" + "".join(body) + "</body></html>"
    )


def outline(pdf: bytes) -> list[tuple[int, str, int]]:
    """The bookmarks: (depth, title, page index), in order."""
    document = pikepdf.open(io.BytesIO(pdf))
    flat = []

    def walk(items, depth):
        for item in items:
            page = document.pages.index(pikepdf.Page(item.destination[0]))
            flat.append((depth, item.title, page))
            walk(item.children, depth + 1)

    with document.open_outline() as tree:
        walk(tree.root, 0)
    return flat


def page_texts(pdf: bytes) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("needs poppler's pdftotext")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return ["".join(page.split()) for page in text.decode().split("\f")]


def drawn(pdf: bytes) -> bytes:
    """Every page as a grey image, one after the other (poppler's pdftoppm)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler's pdftoppm")
    return subprocess.run(["pdftoppm", "-r", "30", "-gray", "-"], input=pdf, capture_output=True, check=True).stdout


def test_without_marks_or_with_few_pieces_the_document_is_one_part():
    assert pdfs.split("<html><body><p>x</p></body></html>", size=2) == ["<html><body><p>x</p></body></html>"]
    html = document(3)
    assert pdfs.split(html, size=3) == [html]


def test_the_parts_hold_the_pieces_in_order_each_a_whole_document():
    parts = pdfs.split(document(5), size=2)
    assert len(parts) == 3
    for part in parts:
        assert part.startswith("<!DOCTYPE html><html") and part.endswith("</body></html>")
        assert "<title>评价报告 2025</title>" in part and pdfs.PART_STYLE in part
    assert "<h1>评价报告</h1>" in parts[0] and "1. 县1" in parts[0] and "2. 县2" in parts[0]
    assert "3. 县3" in parts[1] and "4. 县4" in parts[1] and "附注" not in parts[1]
    assert "5. 县5" in parts[2] and "<h2>附注</h2>" in parts[2] and "<h1>" not in parts[2]


def test_a_document_in_parts_is_the_document_rendered_whole():
    html = document(5)
    whole = pdfs.html_to_pdf(html, base_url=BASE_URL, part_size=100)
    joined = pdfs.html_to_pdf(html, base_url=BASE_URL, part_size=2, processes=2)
    whole_pdf, joined_pdf = pikepdf.open(io.BytesIO(whole)), pikepdf.open(io.BytesIO(joined))
    assert len(joined_pdf.pages) == len(whole_pdf.pages) == 5
    texts = page_texts(joined)
    assert texts == page_texts(whole)
    assert "第4页/共5页" in texts[3] and "县域经济发展评价报告" in texts[3] and "4.县4" in texts[3]
    # The bookmarks nest across the parts: the counties of the second and third parts are under 二、各县.
    assert outline(joined) == outline(whole)
    assert (2, "5. 县5", 4) in outline(joined)
    assert str(joined_pdf.docinfo["/Title"]) == "评价报告 2025"
    assert joined_pdf.Root.Lang == whole_pdf.Root.Lang == "zh-Hans"
    # Drawn alike: the parts leave out their page background, so the frame's white page does not hide them.
    assert drawn(joined) == drawn(whole)


def test_a_part_that_fails_in_a_worker_process_fails_the_document():
    worker = pdfs._Worker()
    try:
        with pytest.raises(RuntimeError, match="a part of the PDF failed in a worker process"):
            worker.render(None, BASE_URL)  # not a document: WeasyPrint raises in the worker
        assert worker.render("<p>再试</p>", BASE_URL).pages == 1  # the worker goes on with the next part
    finally:
        worker.close()
    assert worker.process.returncode == 0


def test_a_worker_process_that_dies_fails_the_document():
    worker = pdfs._Worker()
    worker.process.kill()
    worker.process.wait()
    with pytest.raises(RuntimeError, match="the PDF worker process stopped"):
        worker.render("<p>县</p>", BASE_URL)
    worker.close()
