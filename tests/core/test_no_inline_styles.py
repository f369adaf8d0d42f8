"""No template writes a style attribute or a <style> element, and none loads anything from
another site: the CSP (style-src 'self', script-src 'self') would block them, and the
municipality's colour comes as a stylesheet of its own (core/branding.py)."""

from __future__ import annotations

import re

from tests.support import ROOT

TEMPLATES = ROOT / "templates"
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
ELSEWHERE = re.compile(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", re.IGNORECASE)


def _pages():
    # E-mails are read in mail programs, where a stylesheet cannot be linked.
    return [p for p in TEMPLATES.rglob("*.html") if "emails" not in p.parts]


def test_no_page_template_has_inline_styles_or_scripts():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _pages()
        if INLINE_STYLE.search(text := path.read_text()) or INLINE_SCRIPT.search(text)
    ]
    assert offenders == []


def test_no_page_template_loads_from_another_site():
    offenders = [str(p.relative_to(ROOT)) for p in _pages() if ELSEWHERE.search(p.read_text())]
    assert offenders == []


def test_the_checks_find_what_they_look_for():
    assert INLINE_STYLE.search('<p style="color: red">') and INLINE_STYLE.search("<style>")
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/map.js"></script>')
    assert ELSEWHERE.search('<script src="https://cdn.example.org/x.js">')
    assert not ELSEWHERE.search('<a href="/d/kajen">')
