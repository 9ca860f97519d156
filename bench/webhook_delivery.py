"""Webhook delivery rate: signed POSTs from the durable outbox to a local receiver.

N events are queued for one hook (one ``enqueue_many`` per 1,000), then the real sender
(``WebhookSender.deliver_due``: claim a batch with SKIP LOCKED, sign, POST concurrently,
settle and log in one transaction) drains the outbox. The receiver is a minimal
keep-alive HTTP server answering 200 at once, in the same process and event loop, so the
figure is the sender's cost plus the receiver's (a lower bound for the sender alone).

    .venv/bin/python bench/webhook_delivery.py [--events 5000] [--senders 1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import fresh_database, local_postgres  # noqa: E402

from server.database import connect  # noqa: E402
from server.db import tenancy  # noqa: E402
from server.db import webhooks as hooks_sql  # noqa: E402
from server.migrate import migrate  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.webhook_sender import WebhookSender  # noqa: E402


async def _receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def run(url: str, events: int, senders: int) -> None:
    receiver = await asyncio.start_server(_receive, "127.0.0.1", 0)
    port = receiver.sockets[0].getsockname()[1]
    conn = await connect(url)
    try:
        await migrate(conn)
        org = await tenancy.ensure_organization(conn, "bench")
        await hooks_sql.create(conn, org, f"http://127.0.0.1:{port}/hook", "s" * 32, ["cluster.created"])
        body = b'{"type":"cluster.created","data":{"cluster_id":1,"title":"ValueError: benchmark"}}'
        for start in range(0, events, 1000):
            await hooks_sql.enqueue_many(conn, [(org, "cluster.created", body)] * min(1000, events - start))
        settings = Settings(webhook_allow_private=True)
        conns = [await connect(url) for _ in range(senders)]

        async def drain(c: object) -> None:
            async with httpx.AsyncClient(timeout=10) as client:
                sender = WebhookSender(url, settings)
                while await sender.deliver_due(c, client):  # type: ignore[arg-type]
                    pass

        started = time.perf_counter()
        await asyncio.gather(*(drain(c) for c in conns))
        elapsed = time.perf_counter() - started
        delivered = await conn.fetchval("SELECT count(*) FROM webhook_outbox WHERE status = 'delivered'")
        print(f"{delivered}/{events} deliveries in {elapsed:.2f} s with {senders} sender(s):"
              f" {delivered / elapsed:.0f} deliveries/s", flush=True)
        for c in conns:
            await c.close()
    finally:
        await conn.close()
        receiver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=1)
    args = parser.parse_args()
    url, stack = fresh_database(local_postgres())
    with stack:
        asyncio.run(run(url, args.events, args.senders))


if __name__ == "__main__":
    main()
