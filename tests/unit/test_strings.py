"""The pages' strings (chalicelib/web/static/i18n.js): every key in both languages, every key a page
names exists, and every word the API answers with (verdicts, statuses, checks, rule types,
rejection reasons) has its words on the pages, so nothing shows in English on an Italian page
nor as a raw key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.core.guideline import QUALITY_CHECKS, RULE_TYPES
from chalicelib.core.vocabulary import OUTCOME_STATES, REVIEW_STATES, RULE_STATUSES, VERDICTS
from chalicelib.vision.intake import _REASONS

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "static"
KEY = re.compile(r'^\s*"([\w.]+)":\s*"', re.M)


def tables() -> dict[str, dict[str, int]]:
    """Each language's keys (with how often each is defined: twice is a mistake)."""
    source = (STATIC / "i18n.js").read_text(encoding="utf-8")
    starts = {lang: source.index(f"  {lang}: {{") for lang in ("en", "it")}
    end = source.index("\n};")
    bounds = sorted(starts.items(), key=lambda kv: kv[1])
    out = {}
    for i, (lang, start) in enumerate(bounds):
        body = source[start : (bounds[i + 1][1] if i + 1 < len(bounds) else end)]
        keys: dict[str, int] = {}
        for key in KEY.findall(body):
            keys[key] = keys.get(key, 0) + 1
        out[lang] = keys
    return out


def used_keys() -> set[str]:
    """Keys the pages name literally: data-i18n attributes and t("...") calls."""
    used: set[str] = set()
    for path in STATIC.glob("*.html"):
        used |= set(re.findall(r'data-i18n="([\w.]+)"', path.read_text(encoding="utf-8")))
    for path in STATIC.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'"data-i18n":\s*"([\w.]+)"', text))
        used |= set(re.findall(r'\bt\(\s*"([\w.]*\w)"\s*[,)]', text))  # not t("verdict." + word): the words' test
    return used


def test_every_key_is_in_both_languages_once():
    keys = tables()
    assert set(keys["en"]) - set(keys["it"]) == set(), "untranslated into Italian"
    assert set(keys["it"]) - set(keys["en"]) == set(), "missing in English"
    for lang, counts in keys.items():
        assert [k for k, n in counts.items() if n > 1] == [], f"defined twice in {lang}"


def test_every_key_a_page_names_exists():
    assert used_keys() - set(tables()["en"]) == set()


def test_the_checker_finds_an_untranslated_key(tmp_path, monkeypatch):
    source = (STATIC / "i18n.js").read_text(encoding="utf-8")
    planted = source.replace('    "lang.switch": "Italiano",\n', '    "lang.switch": "Italiano",\n    "only.english": "x",\n')
    (tmp_path / "i18n.js").write_text(planted, encoding="utf-8")
    monkeypatch.setitem(globals(), "STATIC", tmp_path)
    with pytest.raises(AssertionError):
        test_every_key_is_in_both_languages_once()


@pytest.mark.parametrize(
    "prefix, words",
    [
        ("verdict.", VERDICTS),
        ("rule.", RULE_STATUSES),
        ("review.", REVIEW_STATES),
        ("store.state.", OUTCOME_STATES),
        ("gallery.state.", OUTCOME_STATES),
        ("check.", QUALITY_CHECKS),
        ("do.", QUALITY_CHECKS),
        ("pass.", tuple(RULE_TYPES)),
        ("reason.", tuple(_REASONS)),
        ("status.", ("rejected", "error")),
    ],
)
def test_the_apis_words_have_page_strings(prefix, words):
    keys = tables()
    for lang in ("en", "it"):
        assert [w for w in words if prefix + w not in keys[lang]] == [], lang
