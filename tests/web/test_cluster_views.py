"""The cluster pages' view models: frames with context and their pre-symbolication form, the
grouping tree as lines, the list's query string checked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from server.errors import Invalid
from web.cluster_views import exceptions_of, filters_of, grouping_lines, method_sentence


def test_a_symbolicated_frame_keeps_what_the_sdk_sent_beside_it() -> None:
    minified = {"function": "a", "filename": "app.min.js", "lineno": 1, "colno": 3120, "in_app": True}
    event = SimpleNamespace(exception=[{"type": "TypeError", "value": "x is undefined", "frames": [
        {"function": "main", "filename": "node:internal/main", "lineno": 10, "in_app": False},
        {"function": "checkout", "filename": "src/cart.ts", "lineno": 42, "colno": 7, "in_app": True,
         "pre_context": ["function checkout(cart) {"], "context_line": "  return cart.x.total;",
         "post_context": ["}"], "raw": minified},
    ]}])
    [exc] = exceptions_of(event)
    outer, crash = exc.frames
    assert (exc.type, exc.in_app_count, outer.in_app, outer.raw) == ("TypeError", 1, False, None)
    assert crash.where == "checkout (src/cart.ts:42:7)"
    assert crash.raw == "a (app.min.js:1:3120)"
    assert crash.lines == [(41, "function checkout(cart) {", False), (42, "  return cart.x.total;", True), (43, "}", False)]


def test_grouping_tree_reads_as_indented_lines_with_reasons() -> None:
    tree = {"id": "default", "hint": "frames grouping", "children": [
        {"id": "exception", "children": [
            {"id": "type", "value": "KeyError"},
            {"id": "value", "value": "'SPRING'", "contributes": False, "hint": "stack trace takes precedence"},
        ]},
    ]}
    lines = grouping_lines(tree)
    assert [(g.depth, g.name, g.contributes, g.hint) for g in lines] == [
        (0, "default", True, "frames grouping"), (1, "exception", True, None), (2, "type", True, None),
        (2, "value", False, "stack trace takes precedence"),
    ]
    assert lines[3].depth_class == "depth-2"
    says = method_sentence({"method": "fuzzy", "score": 0.912}, lambda s, **kw: s.format(**kw))
    assert "similarity 0.91" in says


def test_list_filters_refuse_unknown_values_and_keep_blanks_as_any() -> None:
    f = filters_of("7", "", " shop@1.0 ", None, "  ", None)
    assert (f.project, f.status, f.release, f.q, f.sort, f.narrowed) == (7, None, "shop@1.0", None, "last_seen", True)
    for bad in ({"status": "open"}, {"sort": "loudest"}, {"project": "seven"}, {"q": "x" * 201}):
        args = {"project": None, "status": None, "release": None, "environment": None, "q": None, "sort": None, **bad}
        with pytest.raises(Invalid):
            filters_of(**args)
