"""The translation catalogues are complete: every text a person reads has its English.

The msgids are the Dutch texts of the templates and the Python code. ``makemessages`` is run
here with the options of ``make po`` into a temporary folder, so a text marked for translation
but missing from ``locale/en/LC_MESSAGES/django.po`` fails, as does an entry with no English or
one still marked fuzzy. (A text that is not marked at all is caught by the page tests, which
look for Dutch on English pages.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
ENGLISH = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(path: Path) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(path)) if entry.msgid}


SOURCES = (
    "api",
    "common",
    "config",
    "customers",
    "employers",
    "locket_client",
    "onboarding",
    "staffauth",
    "templates",
)


@pytest.fixture(scope="module")
def collected(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str | None, str], polib.POEntry]:
    """The msgids makemessages finds in the sources today (needs GNU gettext's xgettext).

    makemessages writes next to the first ``locale/`` above the files it reads, so it runs in a
    temporary folder that links to the sources and has an empty ``locale/`` of its own.
    """
    if shutil.which("xgettext") is None:
        pytest.fail(
            "xgettext is missing: `make messages` installs GNU gettext (scripts/ensure-gettext)"
        )
    work = tmp_path_factory.mktemp("catalogue")
    for name in SOURCES:
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    (work / "locale").mkdir()
    previous = Path.cwd()
    os.chdir(work)
    try:
        with override_settings(LOCALE_PATHS=[str(work / "locale")]):
            call_command(
                "makemessages",
                locale=["en"],
                ignore_patterns=["locale", "__pycache__"],
                extensions=["html", "txt", "py"],
                add_location="file",
                symlinks=True,
                verbosity=0,
            )
    finally:
        os.chdir(previous)
    return _entries(work / "locale" / "en" / "LC_MESSAGES" / "django.po")


def test_every_marked_text_is_in_the_english_catalogue(collected) -> None:
    committed = _entries(ENGLISH)
    missing = sorted(
        msgid for key, entry in collected.items() if key not in committed for msgid in [entry.msgid]
    )
    assert not missing, (
        f"{len(missing)} msgid(s) are not in {ENGLISH.relative_to(ROOT)}; run `make po` and add "
        f"their English: {missing[:10]}"
    )


def test_every_english_entry_has_its_translation() -> None:
    untranslated = [
        entry.msgid
        for entry in polib.pofile(str(ENGLISH))
        if entry.msgid and not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
    ]
    assert not untranslated, (
        f"{len(untranslated)} msgid(s) in {ENGLISH.relative_to(ROOT)} have no English (or are "
        f"fuzzy): {untranslated[:10]}"
    )


def test_the_catalogue_holds_no_stale_entries(collected) -> None:
    stale = sorted(entry.msgid for key, entry in _entries(ENGLISH).items() if key not in collected)
    assert not stale, f"entries no source uses any more (run `make po`): {stale[:10]}"
