"""``without_cyclic_gc`` (common/memory.py): the collector is off inside, and the cycles made there are freed on
leaving."""

from __future__ import annotations

import gc
import weakref

import pytest

from common.memory import without_cyclic_gc


class Node:
    pass


def cycle() -> weakref.ref:
    node = Node()
    node.self = node
    return weakref.ref(node)


@pytest.fixture
def no_automatic_collection():
    """The collector never runs by itself: a cycle freed is freed by without_cyclic_gc."""
    thresholds = gc.get_threshold()
    gc.set_threshold(10**9)
    yield
    gc.set_threshold(*thresholds)


def test_the_collector_is_off_inside_and_the_cycles_made_there_are_freed_on_leaving(no_automatic_collection):
    assert gc.isenabled()
    with without_cyclic_gc():
        assert not gc.isenabled()
        made = [cycle() for _ in range(10_000)]
        assert all(ref() is not None for ref in made)
    assert gc.isenabled()
    assert all(ref() is None for ref in made)


def test_nested_blocks_collect_when_the_outermost_ends(no_automatic_collection):
    with without_cyclic_gc():
        with without_cyclic_gc():
            inner = cycle()
        assert not gc.isenabled()
        assert inner() is not None
    assert inner() is None


def test_a_collector_switched_off_by_the_caller_stays_off():
    gc.disable()
    try:
        with without_cyclic_gc():
            made = cycle()
        assert not gc.isenabled()
        assert made() is not None
    finally:
        gc.enable()
        gc.collect()
