"""Article markdown is rendered, then sanitised: a table of hostile inputs, none survives."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from server.services.markdown import render

HOSTILE = [
    ("script tag", "<script>alert(1)</script>hello"),
    ("event handler on img", "<img src=x onerror=alert(1)>"),
    ("javascript link (markdown)", "[click](javascript:alert(1))"),
    ("javascript link (html, mixed case)", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("javascript link with tab", '<a href="java\tscript:alert(1)">x</a>'),
    ("entity-encoded javascript", "[a](&#106;avascript:alert(1))"),
    ("data: URL", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("vbscript link", '<a href="vbscript:msgbox(1)">x</a>'),
    ("svg onload", "<svg onload=alert(1)><circle/></svg>"),
    ("iframe", '<iframe src="https://evil.example/"></iframe>'),
    ("object and embed", "<object data=x.swf></object><embed src=x.swf>"),
    ("style attribute", '<div style="background:url(javascript:alert(1))">s</div>'),
    ("style tag", "<style>body{background:url(javascript:alert(1))}</style>"),
    ("form with formaction", "<form action=x><button formaction=javascript:alert(1)>b</button></form>"),
    ("meta refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("onmouseover on a link", '<a href="https://example.com" onmouseover="alert(1)">x</a>'),
    ("base tag", '<base href="https://evil.example/">'),
    ("math xlink", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'),
    ("unclosed attribute trick", '<img src="x" alt="a" onerror="alert(1)"//>'),
    ("comment-hidden script", "<!--<script>alert(1)</script>-->ok"),
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "form", "button", "meta", "base", "svg", "math", "link"}
SAFE_URL = re.compile(r"^(https?:|mailto:|/|#|[^:]*$)", re.IGNORECASE)


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _problems(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    out = []
    for tag, attrs in parser.found:
        if tag in FORBIDDEN_TAGS:
            out.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "formaction", "action", "xlink:href"):
                out.append(f"{tag}[{name}]")
            if name in ("href", "src") and value is not None and not SAFE_URL.match(value.strip()):
                out.append(f"{tag}[{name}={value}]")
    return out


@pytest.mark.parametrize(("name", "body"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_hostile_input_does_not_survive(name: str, body: str) -> None:
    html = render(body)
    assert _problems(html) == [], html


def test_the_checker_sees_hostile_html() -> None:
    assert _problems('<a href="javascript:x" onclick="y">a</a><script></script>') == [
        "a[href=javascript:x]", "a[onclick]", "<script>"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("# Title", "<h1>Title</h1>"),
        ("**bold** and `code`", "<strong>bold</strong> and <code>code</code>"),
        ("[docs](https://example.com/a)", '<a href="https://example.com/a" rel="noopener noreferrer nofollow">docs</a>'),
        ("```python\nprint(1)\n```", '<code class="language-python">print(1)'),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<td>1</td>"),
        ("<details><summary>more</summary>text</details>", "<details><summary>more</summary>text</details>"),
        ("支付页面闪退", "<p>支付页面闪退</p>"),
    ],
)
def test_ordinary_markdown_renders(body: str, expected: str) -> None:
    assert expected in render(body)
