"""Article search latency with 10,000 articles (half English, half Chinese) and 100,000 clusters.

Synthetic texts draw words with Zipf frequencies from English and Chinese support
vocabularies followed by 3,000 invented words each (real text has a long tail: most
words are rare), with code names such as ``NullPointerException`` sprinkled in; clusters live in the same organization and the same
index table (kind ``cluster``). Each query runs the real service (``search.search``:
tokenise, PostgreSQL ranking, rapidfuzz re-rank) and the article search the API uses
(``kb_usage.search_articles``, without usage writes). Prints p50/p95/p99 in ms.

    .venv/bin/python bench/kb_search.py [--articles 10000] [--clusters 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import fresh_database, local_postgres  # noqa: E402

from server.database import connect  # noqa: E402
from server.db import tenancy  # noqa: E402
from server.migrate import migrate  # noqa: E402
from server.services import kb_usage, search  # noqa: E402

EN = ("app crash startup login password payment checkout timeout sync offline upload photo video export report pdf"
      " printer scanner notification push battery memory storage cache cookie browser settings account profile"
      " update install network proxy certificate error failed slow freeze blank screen button page order refund"
      " invoice email message search filter download permission camera microphone location map calendar"
      " database locked conflict session expired token keyboard language theme dark font crashes freezing").split()
CODE = ("NullPointerException IllegalStateException ConnectionError ReadTimeout MemoryError IOException"
        " SSLHandshakeException OperationalError KeyError TypeError MainActivity.onCreate PaymentFragment.onConfirm"
        " sync_engine.merge pdf_renderer.render_page requests.get").split()
ZH = ("应用 闪退 启动 登录 密码 支付 结账 超时 同步 离线 上传 照片 视频 导出 报告 打印机 扫描 通知 推送 电池 内存"
      " 存储 缓存 浏览器 设置 账户 更新 安装 网络 代理 证书 错误 失败 缓慢 卡住 空白 屏幕 按钮 页面 订单 退款"
      " 发票 邮件 消息 搜索 下载 权限 相机 麦克风 位置 地图 日历 数据库 冲突 会话 过期 键盘 语言 主题 字体").split()


_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en", "ol")]
_HAN = ("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能"
        "好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此"
        "实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听"
        "世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫")


def _vocabulary(rng: random.Random, head: list[str], zh: bool, size: int = 3000) -> tuple[list[str], list[float]]:
    """Support words first, then invented ones; Zipf weights, as word use in real text."""
    invented: set[str] = set()
    while len(invented) < size:
        if zh:
            invented.add(rng.choice(_HAN) + rng.choice(_HAN))
        else:
            invented.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))))
    words = head + sorted(invented)
    return words, [1.0 / (rank + 1) for rank in range(len(words))]


VOCAB: dict[bool, tuple[list[str], list[float]]] = {}


def _text(rng: random.Random, words: list[str], n: int, sep: str) -> str:
    zh = words is ZH
    if zh not in VOCAB:
        VOCAB[zh] = _vocabulary(random.Random(3), words, zh)
    vocab, weights = VOCAB[zh]
    picked = rng.choices(vocab, weights, k=n) if words in (EN, ZH) else [rng.choice(words) for _ in range(n)]
    if rng.random() < 0.3:
        picked.insert(rng.randrange(len(picked)), rng.choice(CODE))
    return sep.join(picked)


async def load(url: str, articles: int, clusters: int) -> int:
    rng = random.Random(7)
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "bench")
        project = await tenancy.create_project(conn, "bench", "app")
        await conn.execute(
            "INSERT INTO kb_articles (organization_id, status, visibility) SELECT $1, 'published', 'public'"
            " FROM generate_series(1, $2)", org, articles)
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM kb_articles WHERE organization_id = $1 ORDER BY id", org)]
        started = time.perf_counter()
        docs = []
        for i, article_id in enumerate(ids):
            zh = i % 2 == 1
            words, sep = (ZH, "") if zh else (EN, " ")
            title, body = _text(rng, words, rng.randint(4, 8), sep), _text(rng, words, rng.randint(60, 160), sep)
            tid = await conn.fetchval(
                "INSERT INTO kb_translations (article_id, language, title, body, revision) VALUES ($1, $2, $3, $4, 1)"
                " RETURNING id", article_id, "zh" if zh else "en", title, body)
            docs.append(search.Document(org, "article", tid, title, body, visibility="public", language="zh" if zh else "en"))
            if len(docs) == 1000:
                await search.index(conn, docs)
                docs = []
        await search.index(conn, docs)
        print(f"indexed {articles} articles in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        for start in range(0, clusters, 2000):
            batch = [search.Document(org, "cluster", start + i + 1,
                                     _text(rng, EN if (start + i) % 3 else ZH, rng.randint(3, 7), " "),
                                     _text(rng, CODE + EN, 8, " "), project_id=project)
                     for i in range(min(2000, clusters - start))]
            await search.index(conn, batch)
        print(f"indexed {clusters} clusters in {time.perf_counter() - started:.1f} s", flush=True)
        await conn.execute("VACUUM ANALYZE search_documents")
        return org
    finally:
        await conn.close()


def _queries(n: int) -> list[str]:
    """Queries drawn like the texts (so common words are common in queries too)."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(_text(rng, EN, rng.randint(2, 4), " "))
        elif kind == 1:
            out.append(_text(rng, ZH, rng.randint(2, 4), ""))
        elif kind == 2:
            out.append(_text(rng, ZH, 2, "") + " " + rng.choice(CODE))
        else:
            out.append(rng.choice(CODE) + " " + _text(rng, EN, 1, " "))
    return out


async def measure(url: str, org: int, queries: list[str]) -> None:
    conn = await connect(url)
    try:
        for q in queries[:20]:  # warm caches
            await search.search(conn, org, "article", q)
        for label, run in (
            ("search.search (engine)", lambda q: search.search(conn, org, "article", q)),
            ("search_articles (API path, no usage writes)",
             lambda q: kb_usage.search_articles(conn, org, q, record=False)),
        ):
            times, empty = [], 0
            for q in queries:
                t0 = time.perf_counter()
                found = await run(q)
                times.append((time.perf_counter() - t0) * 1000)
                empty += not (found.articles if hasattr(found, "articles") else found)
            times.sort()
            p95, p99 = (times[min(len(times) - 1, int(f * len(times)))] for f in (0.95, 0.99))
            print(f"{label}: {len(queries)} queries, p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms,"
                  f" p99 {p99:.1f} ms, max {times[-1]:.1f} ms, {empty} without a hit", flush=True)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    url, stack = fresh_database(local_postgres())
    with stack:
        org = asyncio.run(load(url, args.articles, args.clusters))
        asyncio.run(measure(url, org, _queries(args.queries)))


if __name__ == "__main__":
    main()
