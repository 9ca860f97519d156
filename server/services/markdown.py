"""Article markdown to safe HTML: markdown-it-py (CommonMark + tables) renders, nh3 (ammonia) sanitises.

Raw HTML in a body is allowed through the renderer and then cleaned, so harmless tags
survive and scripts, event handlers, ``javascript:``/``data:`` links and styles never do.
Links get ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")
_TAGS = (nh3.ALLOWED_TAGS - {"area", "map", "nav", "header", "footer", "aside", "article", "center"})
_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "code": {"class"},  # language-xyz from fenced code blocks
}
_SCHEMES = {"http", "https", "mailto"}


def render(body: str) -> str:
    """Sanitised HTML of a markdown body."""
    html = _md.render(body)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )
