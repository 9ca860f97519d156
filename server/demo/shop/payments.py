"""Payments through an external gateway that sometimes does not answer."""

from __future__ import annotations


class PaymentGatewayTimeoutError(Exception):
    """The payment gateway did not answer in time; the order stays unpaid."""


def charge(order_id: str, amount: float, *, gateway_seconds: float) -> str:
    if gateway_seconds > 5.0:
        raise PaymentGatewayTimeoutError(f"payment gateway did not answer within 5.0s (order {order_id})")
    return f"ch_{order_id}"
