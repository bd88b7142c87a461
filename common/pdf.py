"""Long HTML documents as PDF with WeasyPrint: rendered in parts by worker processes, and joined.

WeasyPrint keeps every laid-out page of a document until its PDF is written, and lays it out on one core. A document
that marks where it may be cut (``PART_BREAK``, an HTML comment, at places where a new page starts anyway) is
rendered part by part, so that a process holds only a part's pages at a time, and the parts are shared out between
worker processes (``python -m common.pdf``: fresh ones, which inherit no connections, threads or memory of a Celery
worker, and give their memory back to the machine when the document is done).

The page headers and footers (the ``@page`` margin boxes, with ``counter(page)`` and ``counter(pages)``) are drawn
by a frame: a document of as many empty pages as the parts made, with the document's own ``<head>``, so that the
numbering runs across the parts. Each part's pages, without their page background, are drawn over the frame's. The
bookmarks (the PDF outline) are those WeasyPrint gives each part's headings, nested again across the parts.

This holds when every page has the same page box (size and margins) and the cuts fall where a page starts anyway. A
document without marks, or with few pieces, is rendered whole, in the calling process, as WeasyPrint does. The
module needs neither Django nor the project's apps, so that the worker processes can run it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PART_BREAK = "<!--pdf:part-->"
ROOT = Path(__file__).resolve().parent.parent

# WeasyPrint's user-agent rules for features these documents never use (footnotes, notes) and ``::marker`` match
# every element: each one gave every element six pseudo-element styles, computed and kept with the layout.
UNUSED_UA_RULES = ("::footnote-call", "::footnote-marker", "::note-call", "::note-marker", "::note-callback")

MARGIN_BOXES = (
    *("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner"),
    *("right-top", "right-middle", "right-bottom"),
    *("bottom-right-corner", "bottom-right", "bottom-center", "bottom-left", "bottom-left-corner"),
    *("left-bottom", "left-middle", "left-top"),
)
# A part draws no header, footer or page background: its frame page, drawn under it, has them.
PART_STYLE = (
    "<style>@page { "
    + " ".join(f"@{box} {{ content: none; }}" for box in MARGIN_BOXES)
    + " background: none !important; } html, body { background: none !important; }</style>"
)
FRAME_STYLE = (
    "<style>div.pdf-frame-page { break-after: page; } div.pdf-frame-page:last-child { break-after: auto; }</style>"
)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def report_ua_text() -> str:
    """WeasyPrint's HTML user-agent stylesheet without the rules above, and with ``::marker`` for list items only.
    Everything else is WeasyPrint's own, so a new version's rules carry over."""
    from weasyprint.html import UA

    lines = [line for line in UA.splitlines() if not line.startswith(UNUSED_UA_RULES)]
    return "\n".join("li" + line if line.startswith("::marker") else line for line in lines)


@functools.cache
def report_ua_stylesheet():
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle

    # Its @counter-style rules go to a dictionary of their own: rendering uses WeasyPrint's (the same rules).
    return CSS(string=report_ua_text(), counter_style=CounterStyle())


@contextlib.contextmanager
def without_cyclic_gc():
    """WeasyPrint allocates millions of objects and frees them by reference counting; the cyclic collector, run
    thousands of times over the growing heap meanwhile, found next to nothing and cost a quarter of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            # What it would have freed meanwhile: tens of thousands of cycles, and a part's memory to reuse for the
            # next one (without this a process rendering parts in turn grew by ~90 MB a part).
            gc.collect()


def _html_class():
    from weasyprint import HTML

    class ReportHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [report_ua_stylesheet()]

    return ReportHTML


@dataclass(frozen=True)
class Part:
    pdf: bytes
    pages: int
    # (page of the part, level, label, top in PDF points from the page's top)
    bookmarks: tuple[tuple[int, int, str, float], ...]


def render_part(html: str, base_url: str) -> Part:
    """One part as PDF, with its page count and its headings' bookmarks (run in a worker process)."""
    with without_cyclic_gc():
        # The laid-out document is let go of before the collector runs on leaving (a local here would still hold it).
        return _rendered(_html_class()(string=html, base_url=base_url).render())


def _rendered(document) -> Part:
    bookmarks = tuple(
        (number, level, label, position[1] * 0.75)  # CSS px to PDF points
        for number, page in enumerate(document.pages)
        for level, label, position, _state in page.bookmarks
    )
    return Part(document.write_pdf(), len(document.pages), bookmarks)


def split(html: str, *, size: int) -> list[str]:
    """The document's parts, each of up to ``size`` pieces between ``PART_BREAK`` marks (the first and the last
    hold what comes before the first mark and after the last), each a whole HTML document with the same head."""
    match = _BODY.search(html)
    pieces = html[match.end() :].split(PART_BREAK) if match else [html]
    if match is None or len(pieces) <= size:
        return [html]
    head, tail = html[: match.start()], ""
    last = pieces[-1]
    end = last.lower().rfind("</body>")
    if end >= 0:
        pieces[-1], tail = last[:end], last[end:]
    body = match.group(0)
    return [
        head + PART_STYLE + body + "".join(pieces[start : start + size]) + tail for start in range(0, len(pieces), size)
    ]


def frame(html: str, pages: int) -> str:
    """``pages`` empty pages with the document's head: its page boxes, headers and footers."""
    match = _BODY.search(html)
    return html[: match.start()] + FRAME_STYLE + match.group(0) + '<div class="pdf-frame-page"></div>' * pages


def join(parts: Sequence[Part], frame_pdf: bytes) -> bytes:
    """The parts' pages, in order, each drawn over its frame page, and the bookmarks nested across the parts; the
    title, language and the rest of the document information are the frame's, which has the document's head.
    (pikepdf, on qpdf: a frame page goes under a part's page as a form, without rewriting the page's content.)"""
    import pikepdf

    frame_pdf = pikepdf.open(io.BytesIO(frame_pdf))
    joined = pikepdf.new()
    for part in parts:
        joined.pages.extend(pikepdf.open(io.BytesIO(part.pdf)).pages)
    for page, under in zip(joined.pages, frame_pdf.pages, strict=True):
        page.add_underlay(under)
    with joined.open_outline() as outline:
        stack: list[tuple[int, pikepdf.OutlineItem]] = []  # (level, item) of the headings still open
        number = 0
        for part in parts:
            for index, level, label, top in part.bookmarks:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                height = float(joined.pages[number + index].mediabox[3])
                item = pikepdf.OutlineItem(label, number + index, pikepdf.PageLocation.XYZ, left=0, top=height - top)
                (stack[-1][1].children if stack else outline.root).append(item)
                stack.append((level, item))
            number += part.pages
    for key, value in frame_pdf.docinfo.items():
        joined.docinfo[key] = value
    if "/Lang" in frame_pdf.Root:
        joined.Root.Lang = frame_pdf.Root.Lang
    out = io.BytesIO()
    joined.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def render_frame_and_join(parts: Sequence[Part], html: str, base_url: str) -> bytes:
    """The document's frame, of as many pages as the parts made, and the parts joined over it."""
    return join(parts, render_part(frame(html, sum(part.pages for part in parts)), base_url).pdf)


WARM_UP = (
    '<html lang="zh-Hans"><body style="font-family: sans-serif"><p>县</p>'
    '<p style="font-family: serif">县</p><svg xmlns="http://www.w3.org/2000/svg"><text>1</text></svg></body></html>'
)

# What a worker process does when asked: nothing else can be asked of it.
TASKS = {"render_part": render_part, "render_frame_and_join": render_frame_and_join}


def _serve() -> None:
    """A worker process (``python -m common.pdf``): does the tasks it reads from stdin, one after another, and
    writes each one's result, or its error, to stdout (pickles between processes of this module only)."""
    import os
    import traceback

    channel_in = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    channel_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed by a library can garble the results
    # While the caller is still writing the document: WeasyPrint, Pango and the fonts loaded, its first part's cost.
    with contextlib.suppress(Exception):
        render_part(WARM_UP, str(ROOT))
    while True:
        try:
            task, args = pickle.load(channel_in)
        except EOFError:
            return
        try:
            result = TASKS[task](*args)
        except Exception:  # sent back to the caller, which raises it
            result = RenderError(traceback.format_exc())
        pickle.dump(result, channel_out, protocol=pickle.HIGHEST_PROTOCOL)
        channel_out.flush()


@dataclass(frozen=True)
class RenderError:
    text: str


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "common.pdf"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def ask(self, task: str, *args):
        try:
            pickle.dump((task, args), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            result = pickle.load(self.process.stdout)
        except (BrokenPipeError, EOFError) as exc:
            raise RuntimeError(f"the PDF worker process stopped (exit code {self.process.poll()})") from exc
        if isinstance(result, RenderError):
            raise RuntimeError(f"a part of the PDF failed in a worker process:\n{result.text}")
        return result

    def render(self, html: str, base_url: str) -> Part:
        return self.ask("render_part", html, base_url)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class Workers:
    """Worker processes for a document, started ahead of it: each loads WeasyPrint and the fonts while the caller is
    still gathering and writing the document (``html_to_pdf(..., workers=...)``). A context manager: on leaving,
    the processes exit, and the memory WeasyPrint and pikepdf used goes back to the machine (a long-lived process,
    such as a Celery worker, keeps what it once held)."""

    def __init__(self, processes: int) -> None:
        self.processes: list[_Worker] = []
        try:
            for _ in range(max(processes, 1)):
                self.processes.append(_Worker())
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.processes:
            worker.close()


def _render_in_processes(html: str, parts: Sequence[str], base_url: str, workers: Sequence[_Worker]) -> bytes:
    """The parts rendered by the worker processes, each taking the next part when it is free, then the frame and
    the joined document by the first of them. The calling process only hands out the work."""
    queue = list(enumerate(parts))
    lock = threading.Lock()
    rendered: dict[int, Part] = {}

    def work(worker: _Worker) -> None:
        while True:
            with lock:
                if not queue:
                    return
                index, part = queue.pop(0)
            try:
                rendered[index] = worker.render(part, base_url)
            except BaseException:
                with lock:
                    queue.clear()  # the others stop after their part: the document has failed
                raise

    busy = workers[: len(parts)]
    with ThreadPoolExecutor(max_workers=len(busy)) as threads:
        for done in [threads.submit(work, worker) for worker in busy]:
            done.result()
    in_order = [rendered.pop(index) for index in range(len(parts))]
    return busy[0].ask("render_frame_and_join", in_order, html, base_url)


def html_to_pdf(
    html: str, *, base_url: str, part_size: int = 12, processes: int = 1, workers: Workers | None = None
) -> bytes:
    """The document as PDF. Without ``PART_BREAK`` marks, or with no more than ``part_size`` pieces, WeasyPrint
    renders it whole, here; else it is rendered in parts of ``part_size`` pieces by the ``workers`` given, or by
    ``processes`` worker processes started for it, and joined. Raises what WeasyPrint raises, or RuntimeError when
    a worker process failed."""
    parts = split(html, size=part_size)
    if len(parts) == 1:
        with without_cyclic_gc():
            return _html_class()(string=html, base_url=base_url).write_pdf()
    if workers is not None:
        return _render_in_processes(html, parts, base_url, workers.processes)
    with Workers(processes) as started:
        return _render_in_processes(html, parts, base_url, started.processes)


if __name__ == "__main__":
    from common.pdf import _serve as serve  # this module under its own name, for the pickles of its classes

    serve()
