"""Chinese segmentation for search: jieba words against character bigrams, on the test table.

For each way of cutting Chinese text, the known-issue articles of
``tests/server/kb_search_table.py`` are indexed into a fresh database through the real
search service and every query of the table is run: top-1 accuracy, mean reciprocal
rank (a query that should find nothing scores 1 when it finds nothing), index terms per
document and tokenising speed. English and code names are cut the
same way in both, so the difference is the Chinese handling.

    .venv/bin/python bench/search_quality.py
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import fresh_database, local_postgres  # noqa: E402

from dedupe import text  # noqa: E402
from server.database import connect  # noqa: E402
from server.db import tenancy  # noqa: E402
from server.migrate import migrate  # noqa: E402
from server.services import search  # noqa: E402
from tests.server.kb_search_table import ARTICLES, QUERIES  # noqa: E402

# Harder cases on top of the test table: word boundaries that bigrams cross (开会|计划 holds
# "会计", 和|服务器 holds "和服") and phrases jieba mis-cuts (登录|时报|错 hides "报错").
HARD: dict[str, tuple[str, str, str, list[str]]] = {
    "h-login-err": ("zh", "登录时报错", "部分用户登录时报错，提示账号异常。请重新绑定手机号。", []),
    "h-meeting": ("zh", "开会计划同步失败", "日历中的开会计划无法同步到手机，请检查日历权限。", []),
    "h-accounting": ("zh", "会计报表导出乱码", "导出会计报表时中文显示乱码，请用 UTF-8 编码打开。", []),
    "h-server": ("zh", "我们和服务器的连接经常断开", "网络切换时和服务器的长连接会断开，应用会自动重连。", []),
    "h-bluetooth": ("zh", "蓝牙耳机连不上", "配对后蓝牙耳机仍然连不上，请在系统设置中忽略设备后重新配对。", []),
    "h-stock": ("zh", "商品卖完了还显示有货", "库存同步延迟导致商品卖完后仍显示有货。", []),
}
HARD_QUERIES: list[tuple[str, str | None]] = [
    ("登录报错", "h-login-err"), ("会计报表乱码", "h-accounting"), ("会计", "h-accounting"),
    ("计划同步", "h-meeting"), ("服务器断开", "h-server"), ("耳机连不上", "h-bluetooth"),
    ("卖完了显示有货", "h-stock"), ("和服", None), ("时报", None),
]
ARTICLES = {**ARTICLES, **HARD}
QUERIES = [*QUERIES, *HARD_QUERIES]  # type: ignore[list-item]
KEYS = list(ARTICLES)


async def score(url: str, segment: text.Segment) -> tuple[float, float, float, list[str]]:
    search.terms = functools.partial(text.terms, segment=segment)  # type: ignore[assignment]
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, f"q-{segment}")
        await search.index(conn, [search.Document(org, "article", i + 1, t, b, " ".join(tags), language=lang)
                                  for i, (lang, t, b, tags) in enumerate(ARTICLES.values())])
        top1, rr, misses = 0, 0.0, []
        for q, expected in QUERIES:
            ranked = [KEYS[h.ref_id - 1] for h in await search.search(conn, org, "article", q)]
            if expected is None:
                top1 += not ranked
                rr += not ranked
                if ranked:
                    misses.append(f"{q!r} -> {ranked[:2]} (wanted nothing)")
                continue
            if ranked[:1] == [expected]:
                top1 += 1
            else:
                misses.append(f"{q!r} -> {ranked[:1]} (wanted {expected})")
            rr += 1 / (ranked.index(expected) + 1) if expected in ranked else 0.0
        terms = sum(len(search.terms(t + " " + b).terms) for _, t, b, _ in ARTICLES.values()) / len(ARTICLES)
        return top1 / len(QUERIES), rr / len(QUERIES), terms, misses
    finally:
        await conn.close()


def speed(segment: text.Segment) -> float:
    corpus = " ".join(t + b for lang, t, b, _ in ARTICLES.values() if lang == "zh") * 50
    text.terms(corpus[:100], segment=segment)  # load the dictionary first
    started = time.perf_counter()
    text.terms(corpus, segment=segment)
    return len(corpus) / (time.perf_counter() - started)


def main() -> None:
    for segment in ("jieba", "bigram", "both"):
        url, stack = fresh_database(local_postgres())
        with stack:
            top1, mrr, terms, misses = asyncio.run(score(url, segment))  # type: ignore[arg-type]
        print(f"{segment:7} top-1 {top1:.0%}  MRR {mrr:.3f}  {terms:.0f} index terms/article"
              f"  {speed(segment) / 1000:.0f}k chars/s", flush=True)
        for miss in misses:
            print(f"        miss: {miss}")


if __name__ == "__main__":
    main()
