"""What the orders write to timelines: an order placed, or moved to another status (rapport.orders.service)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rapport.timeline.models import Entry


class OrderEntry(Entry):
    """An order recorded for the customer (no `from_status`), or moved from one status to another (a cancellation,
    a return): GET /orders/{id} has it whole."""

    kind: Literal["order"] = "order"
    order_id: str
    number: str
    status: str
    from_status: str | None = None
    total: str = Field(description="In the order's currency")
    currency: str
