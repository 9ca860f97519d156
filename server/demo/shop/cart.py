"""The shopping cart: adding items and applying coupons."""

from __future__ import annotations

from typing import Any


def add_item(cart: list[dict[str, Any]], item: dict[str, Any], quantity: int = 1) -> None:
    """Add ``quantity`` of ``item``; a catalogue row without a SKU breaks it (the demo's top crash)."""
    line = {"sku": item["sku"], "name": item.get("name", "?"), "quantity": quantity, "price": item.get("price", 0)}
    cart.append(line)


def subtotal(cart: list[dict[str, Any]]) -> float:
    return sum(line["price"] * line["quantity"] for line in cart)


def apply_coupon(cart: list[dict[str, Any]], coupon_cents: int) -> float:
    """The share of the order a fixed-amount coupon covers; an empty cart divides by zero."""
    total = subtotal(cart)
    share = coupon_cents / 100 / total
    return min(share, 1.0)
