"""A long document rendered in parts by worker processes and joined (common/pdf.py) is the document WeasyPrint
makes of it whole: the same pages, page numbers running across the parts, the same bookmarks and title."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from pathlib import Path

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
    with pdfs.Workers(2) as workers:
        with pytest.raises(RuntimeError, match="a part of the PDF failed in a worker process"):
            workers.run([("render_part", ("<p>县</p>", BASE_URL)), ("render_part", (None, BASE_URL))])  # not HTML
        # The server goes on with the next document.
        assert workers.run([("render_part", ("<p>再试</p>", BASE_URL))])[0].pages == 1
    assert workers.process.returncode == 0


def test_a_part_whose_process_dies_fails_the_document(monkeypatch):
    """A child that ends without a result (killed, out of memory) fails the document, and no part is started after
    it; its sibling's result is not mistaken for it. (The server's loop, run here: it forks this process.)"""
    monkeypatch.setitem(pdfs.TASKS, "pid", os.getpid)
    monkeypatch.setitem(pdfs.TASKS, "exit", lambda: os._exit(3))

    results = pdfs._run_forked([("pid", ()), ("exit", ()), ("pid", ()), ("pid", ())], processes=1)

    assert isinstance(results[0], int) and results[0] != os.getpid()
    assert isinstance(results[1], pdfs.RenderError) and "stopped" in results[1].text
    assert results[2:] == [None, None]


def test_each_part_is_done_in_a_process_of_its_own_at_most_n_at_a_time(monkeypatch, tmp_path):
    def task(number: int) -> tuple[int, int]:
        marker = tmp_path / str(number)
        marker.touch()
        time.sleep(0.5)
        running = len(list(tmp_path.iterdir()))
        marker.unlink()
        return os.getpid(), running

    monkeypatch.setitem(pdfs.TASKS, "task", task)

    results = pdfs._run_forked([("task", (number,)) for number in range(5)], processes=2)

    assert len({pid for pid, _running in results}) == 5
    assert os.getpid() not in {pid for pid, _running in results}
    assert max(running for _pid, running in results) == 2


def test_past_its_time_the_document_fails_and_its_processes_are_gone():
    workers = pdfs.Workers(2, timeout=2)
    # A part that takes far longer than two seconds: its server and the children rendering it are killed.
    html = document(3).replace("</body>", "<p>" + "县" * 200_000 + "</p></body>")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the PDF took longer than 2 s: its processes were stopped"):
        workers.run([("render_part", (html, BASE_URL)), ("render_part", (html, BASE_URL))])
    assert time.monotonic() - started < 10
    workers.close()
    # Nothing is left of the server's process group, once the killed children have finished exiting.
    deadline = time.monotonic() + 10
    while running_in_group(workers.process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_in_group(workers.process.pid) == []


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that are still running (not ended and waiting to be reaped)."""
    running = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, _parent, process_group = stat[stat.rindex(")") + 2 :].split()[:3]
            if int(process_group) == group and state not in "ZX":
                running.append(int(entry.name))
    return running


def test_a_worker_process_that_dies_fails_the_document():
    workers = pdfs.Workers(1)
    workers.process.kill()
    workers.process.wait()
    with pytest.raises(RuntimeError, match="the PDF worker process stopped"):
        workers.run([("render_part", ("<p>县</p>", BASE_URL))])
    workers.close()


def test_the_server_keeps_whole_copies_of_the_font_files_it_maps_and_the_parts_use_them(monkeypatch):
    import weasyprint.pdf.fonts

    # Put back WeasyPrint's own function after the test: load() replaces it in this process.
    monkeypatch.setattr(weasyprint.pdf.fonts, "get_hb_object_data", weasyprint.pdf.fonts.get_hb_object_data)
    fonts = pdfs._SharedFonts()
    monkeypatch.setattr(pdfs, "_fonts", fonts)
    fonts.load()
    pdfs.render_part(pdfs.WARM_UP, BASE_URL)
    fonts.keep()

    kept = {}
    for (address, length), data in fonts._files.items():
        path = next(
            line.split(maxsplit=5)[5].strip()
            for line in Path("/proc/self/maps").read_text().splitlines()
            if len(line.split(maxsplit=5)) == 6
            and int(line.split("-")[0], 16) <= address < int(line.split()[0].split("-")[1], 16)
        )
        assert len(data) == length and Path(path).read_bytes() == data
        kept[Path(path).name] = data
    assert {"NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc"} <= set(kept)

    # A document rendered now takes the kept copy instead of making its own, and comes out the same.
    handed_out = []
    file_data = weasyprint.pdf.fonts.get_hb_object_data
    monkeypatch.setattr(
        weasyprint.pdf.fonts,
        "get_hb_object_data",
        lambda *args: handed_out.append(file_data(*args)) or handed_out[-1],
    )
    html = document(1)
    shared = pdfs.render_part(html, BASE_URL).pdf
    assert any(data is kept["NotoSansCJK-Regular.ttc"] for data in handed_out)
    monkeypatch.setattr(pdfs, "_fonts", pdfs._SharedFonts())
    assert drawn(shared) == drawn(pdfs.render_part(html, BASE_URL).pdf)
