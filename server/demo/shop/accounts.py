"""Customer profiles and order receipts."""

from __future__ import annotations

from typing import Any


def update_profile(profile: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """Save the profile form; an age typed with a letter O for a zero is not a number."""
    return {**profile, "name": form.get("name", profile.get("name")), "age": int(form["age"])}


def find_customer(customers: dict[str, Any], customer_id: str) -> Any:
    return customers.get(customer_id)


def send_receipt(customers: dict[str, Any], customer_id: str, order_id: str) -> str:
    """E-mail the receipt; a guest checkout has no customer record."""
    customer = find_customer(customers, customer_id)
    return f"receipt for {order_id} sent to {customer.email}"
