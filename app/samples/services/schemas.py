"""What services A and B answer: pydantic models for ``/openapi.json``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AnswerA(BaseModel):
    """Service A's own answer."""

    a: str


class AnswerB(BaseModel):
    """Service B's answer: the contract's fields (``client.CONTRACT``), and any more."""

    model_config = ConfigDict(extra="allow")

    b: str
