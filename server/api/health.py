"""``/api/0/health`` (for load balancers: can the service take reports?) and ``/api/0/stats/`` (needs a token)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from server.api.auth import caller, require_token
from server.services import health as health_service
from server.services.health import HealthOut, StatsOut


@get(
    "/api/0/health",
    tags=["health"],
    responses={503: ResponseSpec(HealthOut, description="cannot take reports now; 'reason' says why in one word")},
)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    """200 ``{"status": "ok"}`` when the service can take reports, else 503 with a one-word reason."""
    out = await health_service.check(request.app.state.pool)
    if out.status == "ok":
        return Response(out)
    return Response(out, status_code=503, headers={"Retry-After": "5"})


@get("/api/0/stats/", guards=[require_token], tags=["health"])
async def stats(request: Request[Any, Any, Any]) -> StatsOut:
    """Counts of the token's organization's events by processing status."""
    pool, org = caller(request)
    return await health_service.stats(pool, org)
