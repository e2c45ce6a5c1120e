"""A back office's batch of orders over HTTP (POST /orders/batch): what it sends and the per-order answer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rapport.api.problems import Problem, problem_body
from rapport.orders.models import Order
from rapport.orders.service import MAX_BATCH, ItemResult
from rapport.types import LazyModel


class OrderBatch(LazyModel):
    orders: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Orders as POST /orders takes them, each checked on its own: one at fault fails alone",
    )


class BatchItem(LazyModel):
    index: int = Field(description="The order's place in the batch sent, from 0")
    status: int = Field(description="201 created, 200 updated (its external_id was known), or the problem's status")
    order: Order | None = None
    problem: Problem | None = None


class OrderBatchResult(LazyModel):
    items: list[BatchItem]


def answer(results: list[ItemResult]) -> OrderBatchResult:
    return OrderBatchResult(
        items=[
            BatchItem(
                index=index,
                status=result.status,
                order=result.order,
                problem=None if result.error is None else Problem.model_validate(problem_body(result.error)),
            )
            for index, result in enumerate(results)
        ]
    )
