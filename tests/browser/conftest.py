"""Headless Chromium (Debian's package) driven by Playwright's Python client; no browser is downloaded.

Screenshots are kept in ``artifacts/screenshots/`` for people to look at after a run (in CI, or with SCREENSHOTS=1).
Tests on the demo data ask for ``seeded_demo``: the demo is seeded once per test process and put back from a copy for
every test after that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.conftest import IN_CI
from tests.snapshots import DatabaseSnapshot

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}


# Every wait in a browser test is bounded: an element that never appears or a page that never answers fails the
# test with Playwright's message after these many milliseconds, instead of holding up the run.
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole run; tests get fresh contexts from ``browser``."""
    if not Path(CHROMIUM).exists():
        message = f"needs Chromium at {CHROMIUM} (Debian package 'chromium')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Browser:
    """The session's Chromium as a test sees it: contexts with bounded waits, all closed when the test ends."""

    def __init__(self, chromium) -> None:
        self._chromium = chromium
        self._contexts: list = []

    def new_context(self, **options):
        context = self._chromium.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        self._contexts.append(context)
        return context

    def close_contexts(self) -> None:
        for context in self._contexts:
            # Closed by the test already, or the browser went away: nothing left to close.
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def browser(chromium):
    wrapper = Browser(chromium)
    yield wrapper
    wrapper.close_contexts()


# Full-page screenshots are a fifth of the browser's work in a run: taken in CI and when SCREENSHOTS=1 asks for them.
TAKE_SCREENSHOTS = IN_CI or os.environ.get("SCREENSHOTS", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path | None:
        if not TAKE_SCREENSHOTS:
            return None
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def _demo_snapshot():
    """The database right after ``load_reference`` and ``seed_demo``, taken by the first test of this process that
    asks for ``seeded_demo``."""
    snapshot = DatabaseSnapshot()
    yield snapshot
    snapshot.close()


@pytest.fixture
def seeded_demo(transactional_db, _demo_snapshot) -> None:
    """The reference program and the demo (``load_reference`` then ``seed_demo``) on an otherwise empty database,
    for this test alone: what the test changes is gone for the next one. Ask for it before any fixture that writes
    rows (putting the copy back replaces every row)."""
    if _demo_snapshot.taken:
        _demo_snapshot.restore()
        return
    # The copy must hold the demo and nothing else: taken after another fixture's rows, it would give them to
    # every later test.
    assert not get_user_model().objects.exists(), "seeded_demo must come before the fixtures that create users"
    call_command("load_reference", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    _demo_snapshot.take()
