"""Map one minified JavaScript frame to its original position with a source map.

Lines and columns in Sentry frames are 1-based, symbolic's source map API is 0-based.
The original function name needs the minified source (symbolic reads the identifier
before the call); without it the frame keeps the minified name.
"""

from __future__ import annotations

import urllib.parse

import symbolic

from protocol.model import Frame

_CONTEXT = 5
_MAX_LINE = 1024


def map_frame(
    frame: Frame,
    view: symbolic.SourceMapView,
    minified: symbolic.SourceView | None,
    map_url: str | None,
) -> Frame | None:
    """The original frame (with the minified one kept in ``raw``), or ``None`` if no token."""
    assert frame.lineno is not None and frame.colno is not None
    line, col = frame.lineno - 1, frame.colno - 1
    if line < 0 or col < 0:
        return None
    if minified is not None and frame.function:
        token = view.lookup(line, col, frame.function, minified)
    else:
        token = view.lookup(line, col)
    if token is None or token.src is None:
        return None
    abs_path = _source_url(token.src, map_url)
    pre, ctx, post = _context(view, token.src_id, token.src_line)
    return Frame(
        function=token.function_name or frame.function,
        raw_function=frame.raw_function,
        module=frame.module,
        package=frame.package,
        filename=_display_name(token.src),
        abs_path=abs_path,
        lineno=token.src_line + 1,
        colno=token.src_col + 1,
        context_line=ctx,
        pre_context=pre,
        post_context=post,
        in_app=frame.in_app,
        platform=frame.platform,
        raw=frame,
    )


def _source_url(src: str, map_url: str | None) -> str:
    """Sources are relative to the map's URL unless they carry a scheme or are absolute."""
    if "://" in src or src.startswith("/") or not map_url:
        return src
    return urllib.parse.urljoin(map_url, src)


def _display_name(src: str) -> str:
    for prefix in ("webpack:///", "webpack://", "app:///", "file://"):
        if src.startswith(prefix):
            return src[len(prefix):].lstrip("/") if prefix != "file://" else src[len(prefix):]
    return src


def _context(
    view: symbolic.SourceMapView, src_id: int | None, line: int
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Context lines from ``sourcesContent``; empty when the map carries no sources."""
    if src_id is None:
        return (), None, ()
    source = view.get_sourceview(src_id)
    if source is None or line >= len(source):
        return (), None, ()
    lines = source[max(0, line - _CONTEXT) : line + _CONTEXT + 1]
    here = min(line, _CONTEXT)
    lines = [text[:_MAX_LINE] for text in lines]
    return tuple(lines[:here]), lines[here], tuple(lines[here + 1 :])
