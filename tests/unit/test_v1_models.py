"""V1 model support: pydantic v1 and v1-style v2 models read in one shape."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, List, Literal, Optional, Tuple, get_args  # noqa: UP035

import pydantic
import pydantic.v1 as pydantic_v1
import pytest
from pydantic import BaseModel, Field

from ddbwrap.v1.models import (
    dump,
    field_specs,
    is_model_class,
    is_pydantic_v1_model,
    load,
    v2_annotation,
    validation_errors,
)

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


class Color(str, enum.Enum):
    RED = "red"


class Inner(pydantic_v1.BaseModel):
    code: str = pydantic_v1.Field(alias="Code")
    size: pydantic_v1.conint(ge=0) = 1  # type: ignore[valid-type]


class OldModel(pydantic_v1.BaseModel):
    item_id: str
    name: pydantic_v1.constr(max_length=10)  # type: ignore[valid-type]
    maybe: int = None  # type: ignore[assignment]  # v1: implicitly Optional
    tags: List[str] = []  # noqa: UP006
    inner: Optional[Inner] = None  # noqa: UP045
    mapping: Dict[str, Inner] = pydantic_v1.Field(default_factory=dict)  # noqa: UP006
    pair: Tuple[int, ...] = ()  # noqa: UP006
    color: Color = Color.RED
    created_at: datetime


class NewStyle(BaseModel):
    item_id: str
    name: str = Field(alias="Name", description="display name")
    kind: Literal["a", "b"] = "a"
    created_at: datetime

    class Config:
        populate_by_name = True


def test_model_kinds_are_told_apart() -> None:
    assert is_pydantic_v1_model(OldModel) and not is_pydantic_v1_model(NewStyle)
    assert is_model_class(OldModel) and is_model_class(NewStyle)
    assert not is_model_class(dict)


def test_pydantic_v1_fields_become_v2_annotations() -> None:
    specs = {s.name: s for s in field_specs(OldModel)}
    assert specs["item_id"].annotation is str and specs["item_id"].required
    assert specs["name"].annotation is str  # constr -> its base type
    assert specs["maybe"].annotation == int | None and not specs["maybe"].required
    assert specs["tags"].annotation == list[str] and specs["tags"].default == []
    assert specs["mapping"].default_factory is dict
    assert specs["pair"].annotation == tuple[int, ...]
    assert specs["color"].annotation is Color


def test_a_nested_pydantic_v1_model_becomes_a_v2_model_with_its_aliases() -> None:
    inner = get_args(next(s for s in field_specs(OldModel) if s.name == "inner").annotation)[0]
    assert issubclass(inner, BaseModel)
    assert inner.model_fields["code"].alias == "Code"
    assert inner.model_fields["size"].annotation is int
    assert v2_annotation(Inner) is inner  # converted once


def test_v2_fields_keep_alias_and_description() -> None:
    spec = next(s for s in field_specs(NewStyle) if s.name == "name")
    assert (spec.alias, spec.description, spec.required) == ("Name", "display name", True)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (Optional[int], int | None),  # noqa: UP045
        (List[Dict[str, int]], list[dict[str, int]]),  # noqa: UP006
        (Literal["x", "y"], Literal["x", "y"]),
        (Decimal, Decimal),
        (object, Any),
    ],
)
def test_v2_annotation_rewrites_typing_aliases(annotation: Any, expected: Any) -> None:
    assert v2_annotation(annotation) == expected


def test_dump_gives_stored_names_and_load_reads_them_back() -> None:
    old = OldModel(item_id="i1", name="n", inner=Inner(Code="c"), created_at=T0)
    data = dump(old)
    assert data["inner"] == {"Code": "c", "size": 1}
    assert load(OldModel, data) == old
    new = NewStyle(item_id="i1", Name="n", created_at=T0)
    assert dump(new)["Name"] == "n"
    assert load(NewStyle, dump(new)) == new


def test_validation_errors_reads_both_pydantic_versions() -> None:
    with pytest.raises(pydantic_v1.ValidationError) as old:
        OldModel.parse_obj({"item_id": "i1"})
    with pytest.raises(pydantic.ValidationError) as new:
        NewStyle.model_validate({"item_id": "i1"})
    old_errors, new_errors = validation_errors(old.value), validation_errors(new.value)
    assert old_errors is not None and {e["loc"][0] for e in old_errors} >= {"name"}
    assert new_errors is not None and {e["loc"][0] for e in new_errors} >= {"Name"}
    assert validation_errors(ValueError("x")) is None
