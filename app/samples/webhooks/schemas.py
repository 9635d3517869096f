"""What the webhook endpoint takes and answers, as models for ``/openapi.json``."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class ScheduleQuery(BaseModel):
    """The query string of ``POST /api/endpoint``."""

    some_parameter: str | None = Field(
        default=None, description="Passed on to the callback's query string."
    )


class Scheduled(BaseModel):
    """A scheduled callback: the identifier to ask about it with."""

    identifier: UUID
    success: Literal[True]


class DeliveryStatus(BaseModel):
    """How a callback's delivery is going; times are ISO 8601, UTC."""

    identifier: UUID
    delivery_id: str = Field(description="The webhook-id the callback is signed with.")
    status: Literal["pending", "delivered", "failed"]
    attempts: int = Field(ge=0)
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None
