"""Building large things in memory without Python's cyclic garbage collector looking on."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """The block runs with the cyclic garbage collector off; a collection of what it allocated follows it.

    Code that allocates millions of objects and frees them by reference counting (WeasyPrint laying out a document,
    the openpyxl cells of a bulletin, the model instances read for it) made the collector run thousands of times
    over a growing heap, finding next to nothing: a quarter of a PDF's time and of the bulletins'. What it would have
    freed meanwhile (an openpyxl workbook is one big cycle) is freed on leaving, so that the next document or
    bulletin reuses the memory. That collection is of the youngest generation only: everything allocated while the
    collector was off is there, so it costs what the block allocated, not a walk over the whole heap (0.26 s after
    each bulletin of a national deployment). Nested blocks collect once, when the outermost ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)
