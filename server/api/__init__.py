"""The JSON API under ``/api/0/``, scoped to the bearer token's organization.

Handlers are thin: they take parameters (every one declared: ``server.api.params``
refuses others), call ``server.services`` and return its Structs; errors become
``{"detail", "code"}`` in ``server.api.errors``. ``ROUTES`` is what the app mounts.
"""
