"""The Chinese catalogue's vocabulary: "program" is 帮扶计划 everywhere; 项目 is a project."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
_ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.M)


def _entries() -> list[tuple[str, str]]:
    text = CATALOGUE.read_text(encoding="utf-8")

    def joined(block: str) -> str:
        return "".join(re.findall(r'"(.*)"', block))

    return [(joined(msgid), joined(msgstr)) for msgid, msgstr in _ENTRY.findall(text)]


def test_program_is_never_translated_as_project():
    mistaken = [
        (msgid, msgstr)
        for msgid, msgstr in _entries()
        if re.search(r"\bprogram", msgid, re.I) and not re.search(r"project", msgid, re.I) and "项目" in msgstr
    ]
    assert mistaken == []


def test_the_dashboard_program_label_is_the_program_word():
    with translation.override("zh-hans"):
        assert translation.gettext("Program") == "帮扶计划"
