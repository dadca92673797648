"""DDB114: models of one table whose items nothing tells apart (a read through one would
return the other's items as its own, or fail on them)."""

from __future__ import annotations

from ddbwrap import DomainModel, KeyPrefix, KeyTemplate
from ddbwrap.tooling import lint_models


class LooseOrder(DomainModel):
    pk: str
    sk: str
    total: int = 0

    class Meta:
        table_name = "lint_shop"
        partition_key = "pk"
        sort_key = "sk"


class LooseLine(DomainModel):
    pk: str
    sk: str
    sku: str = ""

    class Meta:
        table_name = "lint_shop"
        partition_key = "pk"
        sort_key = "sk"


class QuietLine(DomainModel):
    pk: str
    sk: str

    class Meta:
        table_name = "lint_shop"
        partition_key = "pk"
        sort_key = "sk"
        lint_ignore = ("DDB114",)


class Order(DomainModel):
    customer_id: str
    order_id: str

    class Meta:
        table_name = "lint_orders"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}")
        entity = KeyPrefix()


class Line(DomainModel):
    customer_id: str
    order_id: str
    line_no: int

    class Meta:
        table_name = "lint_orders"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "LINE#{order_id}#{line_no}")
        entity = KeyPrefix()


def codes(*models: type[DomainModel]) -> list[tuple[str, str | None, str | None]]:
    return [(f.code, f.model, f.subject) for f in lint_models(models) if f.code == "DDB114"]


def test_two_models_of_one_table_that_nothing_tells_apart_are_reported() -> None:
    assert codes(LooseOrder, LooseLine) == [("DDB114", "LooseLine", "LooseOrder")]


def test_the_finding_says_how_to_tell_them_apart() -> None:
    [finding] = [f for f in lint_models([LooseOrder, LooseLine]) if f.code == "DDB114"]
    assert "Meta.entity" in finding.fix
    assert "lint_shop" in finding.message


def test_models_told_apart_by_their_key_templates_are_not_reported() -> None:
    assert codes(Order, Line) == []


def test_one_model_per_table_is_not_reported() -> None:
    assert codes(LooseOrder, Order) == []


def test_lint_ignore_on_the_model_silences_it() -> None:
    assert codes(LooseOrder, QuietLine) == []
