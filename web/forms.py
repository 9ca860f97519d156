"""Reading posted forms: one string per field, bounded, NUL-free; a bad field is a 400 naming it."""

from __future__ import annotations

from typing import Any

from litestar import Request

from server.errors import Invalid


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    out: dict[str, str] = {}
    for key in form.keys():  # noqa: SIM118 - a multidict; .keys() gives each field once
        value = form.get(key)
        if isinstance(value, str):
            if "\x00" in value:
                raise Invalid(f"field {key!r} contains a NUL character", key)
            out[key] = value
    return out


def field(form: dict[str, str], name: str, *, required: bool = True, max_length: int = 10_000) -> str:
    value = form.get(name, "").strip()
    if required and not value:
        raise Invalid(f"field {name!r} is required", name)
    if len(value) > max_length:
        raise Invalid(f"field {name!r} is longer than {max_length} characters", name)
    return value


def int_field(form: dict[str, str], name: str, *, required: bool = True) -> int | None:
    value = field(form, name, required=required, max_length=30)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid(f"field {name!r} must be a whole number", name) from None
    if not 1 <= number <= 2**63 - 1:
        raise Invalid(f"field {name!r} is out of range", name)
    return number
