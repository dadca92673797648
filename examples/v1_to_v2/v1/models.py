"""V1 models, written for pydantic v1: ``class Config``, ``@validator``, ``.dict()``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Dict, List, Optional  # noqa: UP035 - V1 code

import pydantic.v1 as pydantic_v1
from pydantic import BaseModel


class PipelineConfig(BaseModel):
    """A pipeline's configuration: a pydantic v2 model in the v1 style."""

    pipeline_id: str
    tenant_id: str
    name: str
    is_active: bool = True
    tags: List[str] = []  # noqa: UP006 - V1 code
    settings: Dict[str, int] = {}  # noqa: UP006
    created_at: datetime
    description: Optional[str] = None  # noqa: UP045

    class Config:
        validate_assignment = True


class RunStep(pydantic_v1.BaseModel):
    """One step of a run."""

    name: str
    duration_ms: int = 0


class PipelineRun(pydantic_v1.BaseModel):
    """One run of a pipeline: a ``pydantic.v1`` model."""

    pipeline_id: str
    run_id: str
    status: str = "running"
    started_at: datetime
    finished_at: Optional[datetime] = None  # noqa: UP045
    cost: Decimal = Decimal("0")
    steps: List[RunStep] = []  # noqa: UP006

    @pydantic_v1.validator("status")
    def known_status(cls, value: str) -> str:  # noqa: N805 - pydantic v1 validator
        if value not in ("running", "succeeded", "failed"):
            raise ValueError(f"unknown status {value!r}")
        return value
