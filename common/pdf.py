"""Long HTML documents as PDF with WeasyPrint: rendered in parts by worker processes, and joined.

WeasyPrint keeps every laid-out page of a document until its PDF is written, and lays it out on one core. A document
that marks where it may be cut (``PART_BREAK``, an HTML comment, at places where a new page starts anyway) is
rendered part by part, so that a process holds only a part's pages at a time, and the parts are rendered side by
side. A server process (``python -m common.pdf``: a fresh interpreter, which inherits no connections, threads or
memory of a Celery worker) loads WeasyPrint and the fonts once, then forks a child for each part: the children share
what it loaded instead of each loading its own, and a child's memory goes back to the machine the moment its part
is done.

The page headers and footers (the ``@page`` margin boxes, with ``counter(page)`` and ``counter(pages)``) are drawn
by a frame: a document of as many empty pages as the parts made, with the document's own ``<head>``, so that the
numbering runs across the parts. Each part's pages, without their page background, are drawn over the frame's. The
bookmarks (the PDF outline) are those WeasyPrint gives each part's headings, nested again across the parts.

This holds when every page has the same page box (size and margins) and the cuts fall where a page starts anyway. A
document without marks, or with few pieces, is rendered whole, in the calling process, as WeasyPrint does. The
module needs neither Django nor the project's apps, so that the server process can run it. Linux and macOS only
(``os.fork``), as the stack is.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.memory import without_cyclic_gc

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
        return _rendered(_html_class()(string=html, base_url=base_url).render(font_config=_fonts.config))


class _SharedFonts:
    """The server's fonts, loaded once and used by every child it forks (elsewhere WeasyPrint loads them for each
    document):

    - ``config``: one WeasyPrint FontConfiguration (Fontconfig's configuration, Pango's loaded fonts and the font
      files they map) instead of one per document;
    - the whole-file copy WeasyPrint makes of each font it embeds (``weasyprint.pdf.fonts.get_hb_object_data``,
      called when a document first uses a font, before the font is cut down to the glyphs used): for a CJK
      collection 20–26 MB, three of them in a report, made again in every part. The copies made while the server
      warms up are kept, for the font files the server maps (their addresses stay theirs for as long as it runs);
      a child gets the same bytes, shared with the server, instead of making its own. Anything else is WeasyPrint's
      own answer, as without this.
    """

    def __init__(self) -> None:
        self.config = None
        self._files: dict[tuple[int, int], bytes] = {}
        self._seen: dict[tuple[int, int], bytes] | None = None

    def load(self) -> None:
        """Called once, in the server, before its warm-up render."""
        import weasyprint.pdf.fonts
        from weasyprint.text.fonts import FontConfiguration

        self.config = FontConfiguration()
        self._seen = {}
        whole_file = weasyprint.pdf.fonts.get_hb_object_data

        def file_data(hb_object, ot_color=None, glyph=None):
            if ot_color is not None or glyph is not None:
                return whole_file(hb_object, ot_color, glyph)
            key = self._key(hb_object)
            data = self._files.get(key)
            if data is None:
                data = whole_file(hb_object)
                if self._seen is not None:
                    self._seen[key] = data
            return data

        weasyprint.pdf.fonts.get_hb_object_data = file_data

    def keep(self) -> None:
        """After the warm-up: keep the copies of the font files this process maps, and no more."""
        mapped = _mapped_files()
        self._files = {
            key: data
            for key, data in (self._seen or {}).items()
            if any(start <= key[0] and key[0] + key[1] <= end and size == key[1] for start, end, size in mapped)
        }
        self._seen = None

    @staticmethod
    def _key(hb_face) -> tuple[int, int]:
        """Where the face's file is in memory, and its length."""
        from weasyprint.text.ffi import ffi, harfbuzz

        blob = harfbuzz.hb_face_reference_blob(hb_face)
        try:
            length = ffi.new("unsigned int *")
            data = harfbuzz.hb_blob_get_data(blob, length)
            return int(ffi.cast("uintptr_t", data)), length[0]
        finally:
            harfbuzz.hb_blob_destroy(blob)


def _mapped_files() -> list[tuple[int, int, int]]:
    """(start, end, file size) of each file mapped whole into this process's memory from its start (Linux's
    /proc/self/maps; none elsewhere)."""
    mapped = []
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or not fields[5].startswith("/") or int(fields[2], 16) != 0:
                continue
            start, end = (int(address, 16) for address in fields[0].split("-"))
            with contextlib.suppress(OSError):
                mapped.append((start, end, os.stat(fields[5].strip()).st_size))
    return mapped


_fonts = _SharedFonts()


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


# What the server renders before it is asked for anything: WeasyPrint, Pango and the fonts the documents use (the CJK
# sans, regular and bold, and the CJK serif: fonts-noto-cjk) loaded once, for every part it forks.
WARM_UP = (
    '<html lang="zh-Hans"><body><p style="font-family: \'Noto Sans CJK SC\', sans-serif">县 1<b>县 1</b></p>'
    "<p style=\"font-family: 'Noto Serif CJK SC', serif\">县 1</p>"
    '<svg xmlns="http://www.w3.org/2000/svg"><text>1</text></svg></body></html>'
)

# What a forked child does when asked: nothing else can be asked of it.
TASKS = {"render_part": render_part, "render_frame_and_join": render_frame_and_join}


@dataclass(frozen=True)
class RenderError:
    text: str


def _run_forked(batch: Sequence[tuple[str, tuple]], processes: int) -> list:
    """Each task of ``batch`` done in a child forked from this process, at most ``processes`` at a time, the next
    one started when one ends; the results (or a RenderError) in the batch's order. After a failure no new task
    is started: the document has failed."""
    import select
    import traceback

    pending = list(enumerate(batch))
    running: dict[int, tuple[int, int, list[bytes]]] = {}  # read end of a child's pipe → (pid, index, chunks)
    results: list = [None] * len(batch)
    while pending or running:
        while pending and len(running) < processes:
            index, (task, args) = pending.pop(0)
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: the task, its result down the pipe, and gone without cleaning up
                status = 1
                try:
                    os.close(read_end)
                    gc.disable()  # it exits when done: nothing for the collector to give back
                    try:
                        result = TASKS[task](*args)
                    except Exception:  # sent back to the caller, which raises it
                        result = RenderError(traceback.format_exc())
                    with os.fdopen(write_end, "wb") as out:
                        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            running[read_end] = (pid, index, [])
        ready, _, _ = select.select(list(running), [], [])
        for read_end in ready:
            chunk = os.read(read_end, 1 << 20)
            if chunk:
                running[read_end][2].append(chunk)
                continue
            pid, index, chunks = running.pop(read_end)
            os.close(read_end)
            _, status = os.waitpid(pid, 0)
            if status == 0 and chunks:
                results[index] = pickle.loads(b"".join(chunks))
            else:
                results[index] = RenderError(f"the process rendering it stopped (wait status {status})")
            if isinstance(results[index], RenderError):
                pending.clear()
    return results


def _serve(processes: int) -> None:
    """The server process (``python -m common.pdf N``): loads WeasyPrint and the fonts, then for each batch of
    tasks it reads from stdin forks a child per task, N at a time, and writes the batch's results to stdout
    (pickles between processes of this module only). The children start from its loaded state and share its
    memory until they write to it; each gives all of its own back when it exits."""

    channel_in = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    channel_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing printed by a library can garble the results
    # While the caller is still writing the document.
    with contextlib.suppress(Exception):
        _fonts.load()
        render_part(WARM_UP, str(ROOT))
        _fonts.keep()
    gc.collect()
    gc.freeze()  # what is loaded now is never touched by a collection in a child, so it stays shared
    while True:
        try:
            batch = pickle.load(channel_in)
        except EOFError:
            return
        pickle.dump(_run_forked(batch, processes), channel_out, protocol=pickle.HIGHEST_PROTOCOL)
        channel_out.flush()


class Workers:
    """The processes that render a document's parts: a server process (``python -m common.pdf``: a fresh
    interpreter, which inherits no connections, threads or memory of a Celery worker) loads WeasyPrint and the fonts
    while the caller is still gathering and writing the document (``html_to_pdf(..., workers=...)``), then forks a
    child for each part, ``processes`` at a time. A context manager: on leaving, the server exits, and all the memory
    WeasyPrint and pikepdf used goes back to the machine (a long-lived process, such as a Celery worker, keeps what it
    once held).

    With ``timeout``, the document may take that many seconds from the first task it is given: past it the server and
    every child it forked are killed (they are a process group of their own) and the task raises, instead of a part
    that never ends holding the job for good."""

    def __init__(self, processes: int, *, timeout: float | None = None) -> None:
        self.processes = max(processes, 1)
        self.timeout = timeout
        self._deadline: float | None = None
        self._timed_out = False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "common.pdf", str(self.processes)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, batch: Sequence[tuple[str, tuple]]) -> list:
        """The results of the batch's tasks, in order; RuntimeError when one failed, the server stopped or the time
        ran out."""
        timer = None
        if self.timeout is not None:
            if self._deadline is None:
                self._deadline = time.monotonic() + self.timeout
            timer = threading.Timer(max(self._deadline - time.monotonic(), 0), self._stop)
            timer.daemon = True
            timer.start()
        try:
            pickle.dump(list(batch), self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
            results = pickle.load(self.process.stdout)
        except (BrokenPipeError, EOFError, pickle.UnpicklingError) as exc:
            if self._timed_out:
                raise RuntimeError(f"the PDF took longer than {self.timeout:g} s: its processes were stopped") from exc
            raise RuntimeError(f"the PDF worker process stopped (exit code {self.process.poll()})") from exc
        finally:
            if timer is not None:
                timer.cancel()
        for result in results:
            if isinstance(result, RenderError):
                raise RuntimeError(f"a part of the PDF failed in a worker process:\n{result.text}")
        return results

    def _stop(self) -> None:
        """The server and the children it forked, killed."""
        self._timed_out = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._stop()
            self.process.wait()
        self.process.stdout.close()


def _render_in_processes(html: str, parts: Sequence[str], base_url: str, workers: Workers) -> bytes:
    """The parts rendered by the workers' children, then the frame and the joined document by one more. The
    calling process only hands out the work."""
    rendered = workers.run([("render_part", (part, base_url)) for part in parts])
    return workers.run([("render_frame_and_join", (rendered, html, base_url))])[0]


def html_to_pdf(
    html: str,
    *,
    base_url: str,
    part_size: int = 12,
    processes: int = 1,
    timeout: float | None = None,
    workers: Workers | None = None,
) -> bytes:
    """The document as PDF. Without ``PART_BREAK`` marks, or with no more than ``part_size`` pieces, WeasyPrint
    renders it whole, here; else it is rendered in parts of ``part_size`` pieces by the ``workers`` given, or by
    ``processes`` worker processes started for it (within ``timeout`` seconds), and joined. Raises what WeasyPrint
    raises, or RuntimeError when a worker process failed or the time ran out."""
    parts = split(html, size=part_size)
    if len(parts) == 1:
        with without_cyclic_gc():
            return _html_class()(string=html, base_url=base_url).write_pdf()
    if workers is not None:
        return _render_in_processes(html, parts, base_url, workers)
    with Workers(processes, timeout=timeout) as started:
        return _render_in_processes(html, parts, base_url, started)


if __name__ == "__main__":
    from common.pdf import _serve as serve  # this module under its own name, for the pickles of its classes

    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
