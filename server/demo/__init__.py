"""``crashdesk demo``: a small shop app that crashes for real, and the texts its users write about it.

``shop/`` is the app the real sentry-sdk reports from (``sender.py`` runs it in a subprocess);
``plan.py``, ``ticket_texts.py`` and ``article_texts.py`` are data; ``runner.py`` sends it all
through the real paths (ingestion, the worker, the services).
"""
