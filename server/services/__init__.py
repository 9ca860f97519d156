"""The service layer: one module per resource, used by both the JSON API and the web pages.

Conventions every module here follows:
- Functions take a pool or connection, the caller's organization id (tenancy) and plain
  arguments; they return msgspec Structs (``<Thing>Out`` wire shapes) and raise
  ``server.errors`` classes (``NotFound``, ``Invalid``, ``Conflict``, ...), never HTTP ones.
- SQL stays in ``server.db.<family>``; services shape rows into Structs.
- A list is a page: ``<Things>Page(<things>=[...], next_cursor=str | None)``, keyset-paged with
  ``server.services.cursor``.
- A resource is returned bare; a detail struct adds fields beside the resource's own.
"""
