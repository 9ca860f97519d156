"""Crashdesk reports its own errors with sentry-sdk when ``SENTRY_DSN`` is set."""

from __future__ import annotations

from server.settings import Settings


def init_self_monitoring(settings: Settings) -> bool:
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(dsn=settings.sentry_dsn, release="crashdesk@0.1.0", traces_sample_rate=0.0)
    return True
