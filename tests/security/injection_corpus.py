"""The injection corpus: hostile text every text input must turn into harmless text.

Each payload carries a marker of its own (`MARK`, e.g. "inj07"), so the helper in
injection.py can tell the payload's own text from the page around it: wherever the
marker turns up in a script, an event handler, a javascript: link, an image or a frame,
the payload got through. Later issues run the same corpus over the inputs and outputs
they add (`for payload in PAYLOADS: ... assert_harmless(output, payload, kind=...)`).

Kinds of payload:
    xss       script elements, event handlers, attribute break-outs, SVG
    html      raw HTML that must show as text
    markdown  Markdown links and images with hostile targets, raw HTML inside Markdown
    unicode   bidi overrides, zero-width characters, NUL and other control characters:
              refused with a clear message, or kept as harmless text
    formula   spreadsheet formulas, for CSV/XLSX outputs (=, +, -, @, tab, CR first)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    kind: str
    text: str
    mark: str
    # A part that must come out as typed, never as what a template engine makes of it
    # (`evaluated`): "{{7*7}}", not "49".
    literal: str = ""
    evaluated: str = ""

    def __str__(self) -> str:
        return self.text


_TEMPLATES = [
    # XSS
    ("script", "xss", "<script>alert('{m}')</script>"),
    ("img-onerror", "xss", '"><img src=x onerror=alert("{m}")>'),
    ("single-quote-breakout", "xss", "' onmouseover='alert(\"{m}\")' x='"),
    ("javascript-url", "xss", "javascript:alert('{m}')"),
    ("svg-onload", "xss", "<svg/onload=alert('{m}')>"),
    ("svg-script", "xss", "<svg><script>alert('{m}')</script></svg>"),
    ("textarea-breakout", "xss", "</textarea><script>alert('{m}')</script>"),
    ("title-breakout", "xss", "</title><script>alert('{m}')</script>"),
    ("json-breakout", "xss", "\"}]</script><script>alert('{m}')</script>"),
    ("template-syntax", "xss", "{{7*7}} {% print('{m}') %} ${{m}}", ("{{7*7}}", "49")),
    # HTML
    ("html-iframe", "html", '<b>fet</b><iframe src="https://evil.example/{m}"></iframe>'),
    ("html-style", "html", '<style>body{display:none}</style><p style="x:{m}">stil</p>'),
    ("html-entity", "html", "&lt;script&gt;alert('{m}')&lt;/script&gt; &amp; &#x3C;b&#x3E;"),
    # Markdown
    ("md-javascript-link", "markdown", "[klicka här](javascript:alert('{m}'))"),
    ("md-data-link", "markdown", "[öppna](data:text/html;base64,PHNjcmlwdD57bX08L3NjcmlwdD4=) {m}"),
    ("md-spaced-javascript", "markdown", "[x]( JaVaScRiPt:alert('{m}') )"),
    ("md-entity-javascript", "markdown", "[x](&#106;avascript:alert('{m}'))"),
    ("md-raw-html", "markdown", "Text\n\n<div onclick=\"alert('{m}')\">klick</div>\n\n**fet**"),
    ("md-image", "markdown", "![bild](https://evil.example/{m}.png)"),
    ("md-image-javascript", "markdown", "![x](javascript:alert('{m}'))"),
    ("md-autolink", "markdown", "<javascript:alert('{m}')>"),
    ("md-reference-link", "markdown", "[ref][1]\n\n[1]: javascript:alert('{m}')"),
    # Unicode controls
    ("bidi-override", "unicode", "Förslag {m} \u202etxt.exe\u202c slut"),
    ("bidi-isolate", "unicode", "\u2067{m}\u2069 och \u202bembedding\u202c"),
    ("zero-width", "unicode", "Ad\u200bmi\u200cn\u200d {m}\ufeff"),
    ("nul", "unicode", "före\x00efter {m}"),
    ("c0-controls", "unicode", "rad\x1b[31m {m} \x07\x08"),
    ("crlf", "unicode", "rad ett {m}\r\nBcc: evil@example.org\r\n\r\nrad två"),
    # Spreadsheet formulas
    ("formula-hyperlink", "formula", '=HYPERLINK("https://evil.example/{m}","klicka")'),
    ("formula-plus", "formula", "+1+1 {m}"),
    ("formula-minus", "formula", "-2+3 {m}"),
    ("formula-at", "formula", "@SUM(1+1) {m}"),
    ("formula-tab", "formula", "\t=1+1 {m}"),
    ("formula-dde", "formula", "=cmd|' /C calc'!A0 {m}"),
]


def _payload(number: int, name: str, kind: str, template: str, literal=("", "")) -> Payload:
    mark = f"inj{number:02d}"
    return Payload(name, kind, template.replace("{m}", mark), mark, *literal)


PAYLOADS: list[Payload] = [
    _payload(number, *entry) for number, entry in enumerate(_TEMPLATES, start=1)
]

BY_NAME = {payload.name: payload for payload in PAYLOADS}
