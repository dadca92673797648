"""What a plan knows about its own write: whether a stored item shows it was applied
(``is_own_write``) and whether sending it twice changes the outcome (``is_idempotent``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ddbwrap import DomainModel
from ddbwrap.expressions import Attr, Update
from ddbwrap.write import (
    ANY_VERSION,
    UpdateDTO,
    WritePlan,
    check_plan,
    create_plan,
    delete_plan,
    put_plan,
    update_plan,
)

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
NOW_AV = {"S": "2026-01-02T03:04:05.000000Z"}
EARLIER_AV = {"S": "2025-06-01T00:00:00.000000Z"}


class Settings(BaseModel):
    retries: int = 3


class Doc(DomainModel):
    doc_id: str
    title: str = ""
    note: str | None = None
    views: int = 0
    price: Decimal = Decimal(0)
    tags: set[str] = set()
    steps: list[str] = []
    settings: Settings = Settings()
    version: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    class Meta:
        table_name = "docs"
        partition_key = "doc_id"
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class Retitle(UpdateDTO[Doc]):
    title: str | None = None
    note: str | None = None


class Counter(DomainModel):
    counter_id: str
    label: str = ""
    hits: int = 0
    note: str | None = None

    class Meta:
        table_name = "counters"
        partition_key = "counter_id"


class Relabel(UpdateDTO[Counter]):
    label: str | None = None
    note: str | None = None


class Member(DomainModel):
    org: str
    member_id: str
    email: str

    class Meta:
        table_name = "members"
        partition_key = "org"
        sort_key = "member_id"
        unique = ("email",)


class NewEmail(UpdateDTO[Member]):
    email: str


DOC = {"doc_id": {"S": "d1"}}  # stored (wire) keys
COUNTER = {"counter_id": {"S": "c1"}}
MEMBER = {"org": {"S": "o"}, "member_id": {"S": "m"}}
D1, C1, M1 = {"doc_id": "d1"}, {"counter_id": "c1"}, {"org": "o", "member_id": "m"}


def retitle() -> WritePlan[Doc]:
    """An update of Doc d1 read at version 3 setting title, removing note."""
    return update_plan(Doc, D1, Retitle(title="New", note=None), now=NOW, expected_version=3)


def retitled(**changes: Any) -> dict[str, Any]:
    """Doc d1 as ``retitle()`` leaves it."""
    return {
        **DOC,
        "title": {"S": "New"},
        "version": {"N": "4"},
        "updated_at": NOW_AV,
        "created_at": EARLIER_AV,
        **changes,
    }


# --- is_own_write: create -------------------------------------------------------------------


def test_a_created_item_stored_as_sent_is_own() -> None:
    plan = create_plan(Doc, Doc(doc_id="d1", title="T"), now=NOW)
    assert plan.is_own_write(plan.main.params["Item"])


def test_a_created_item_with_another_value_is_not_own() -> None:
    plan = create_plan(Doc, Doc(doc_id="d1", title="T"), now=NOW)
    assert not plan.is_own_write({**plan.main.params["Item"], "title": {"S": "Other"}})


def test_a_create_is_not_own_when_nothing_is_stored() -> None:
    assert not create_plan(Doc, Doc(doc_id="d1"), now=NOW).is_own_write(None)


def test_numbers_compare_as_numbers_not_as_text() -> None:
    plan = create_plan(Doc, Doc(doc_id="d1", price=Decimal("1.50")), now=NOW)
    assert plan.is_own_write({**plan.main.params["Item"], "price": {"N": "1.5"}})


def test_set_elements_compare_in_any_order() -> None:
    plan = create_plan(Doc, Doc(doc_id="d1", tags={"a", "b"}), now=NOW)
    assert plan.is_own_write({**plan.main.params["Item"], "tags": {"SS": ["b", "a"]}})


# --- is_own_write: update -------------------------------------------------------------------


def test_an_update_whose_values_and_next_version_are_stored_is_own() -> None:
    assert retitle().is_own_write(retitled())


def test_an_update_is_not_own_when_the_version_went_further() -> None:
    assert not retitle().is_own_write(retitled(version={"N": "5"}))


def test_an_update_is_not_own_when_a_removed_attribute_is_there() -> None:
    assert not retitle().is_own_write(retitled(note={"S": "back"}))


def test_an_update_is_not_own_when_updated_at_is_another_time() -> None:
    assert not retitle().is_own_write(retitled(updated_at=EARLIER_AV))


def test_an_update_is_not_own_for_another_key() -> None:
    assert not retitle().is_own_write(retitled(doc_id={"S": "d2"}))


def test_an_update_is_not_own_when_there_is_no_item() -> None:
    assert not retitle().is_own_write(None)


def test_a_counter_update_is_own_when_the_version_proves_it() -> None:
    plan = update_plan(Doc, D1, Update().increment("views"), now=NOW, expected_version=3)
    assert plan.is_own_write(retitled(title={"S": ""}, views={"N": "12"}))


def test_a_counter_update_without_a_version_check_is_never_own() -> None:
    plan = update_plan(Doc, D1, Update().increment("views"), now=NOW, expected_version=ANY_VERSION)
    assert not plan.is_own_write(retitled(views={"N": "12"}))


def test_a_counter_update_of_an_unversioned_model_is_never_own() -> None:
    plan = update_plan(Counter, C1, Update().increment("hits"), now=NOW)
    assert not plan.is_own_write({**COUNTER, "hits": {"N": "1"}})


def test_an_absolute_update_of_an_unversioned_model_is_own_by_its_values() -> None:
    plan = update_plan(Counter, C1, Relabel(label="L"), now=NOW)
    assert plan.is_own_write({**COUNTER, "label": {"S": "L"}, "hits": {"N": "7"}})


def test_a_nested_value_is_looked_up_along_its_path() -> None:
    plan = update_plan(Doc, D1, Update().set("settings.retries", 5), now=NOW, expected_version=3)
    stored = retitled(title={"S": ""}, settings={"M": {"retries": {"N": "4"}}})
    assert not plan.is_own_write(stored)


def test_set_if_missing_only_needs_the_attribute_present() -> None:
    plan = update_plan(Counter, C1, Update().set_if_not_exists("note", "n"), now=NOW)
    assert plan.is_own_write({**COUNTER, "note": {"S": "written earlier"}})


def test_set_if_missing_is_not_own_when_the_attribute_is_absent() -> None:
    plan = update_plan(Counter, C1, Update().set_if_not_exists("note", "n"), now=NOW)
    assert not plan.is_own_write(dict(COUNTER))


# --- is_own_write: put, delete, check, transactions -----------------------------------------


def test_a_put_is_own_whatever_created_at_was_kept() -> None:
    plan = put_plan(Doc, Doc(doc_id="d1", title="T", version=3), now=NOW)
    stored = {**DOC, "title": {"S": "T"}, "views": {"N": "0"}}  # None note: omitted
    stored |= {"price": {"N": "0"}, "steps": {"L": []}, "settings": {"M": {"retries": {"N": "3"}}}}
    stored |= {"version": {"N": "4"}, "updated_at": NOW_AV, "created_at": EARLIER_AV}
    assert plan.is_own_write(stored)


def test_a_delete_is_own_when_the_item_is_gone() -> None:
    assert delete_plan(Doc, D1, expected_version=3).is_own_write(None)


def test_a_delete_is_own_when_the_returned_item_is_empty() -> None:
    assert delete_plan(Doc, D1, expected_version=3).is_own_write({})


def test_a_delete_is_not_own_while_the_item_is_there() -> None:
    assert not delete_plan(Doc, D1, expected_version=3).is_own_write(retitled())


def test_a_check_is_never_an_own_write() -> None:
    assert not check_plan(Doc, D1, Attr("views") > 1).is_own_write(retitled())


def test_a_transaction_is_own_when_its_item_shows_the_write() -> None:
    current = {**MEMBER, "email": {"S": "old@x"}}
    plan = update_plan(Member, M1, NewEmail(email="new@x"), now=NOW, current=current)
    assert plan.transactional
    assert plan.is_own_write({**MEMBER, "email": {"S": "new@x"}})


# --- is_idempotent --------------------------------------------------------------------------


def test_an_absolute_update_of_an_unversioned_model_is_idempotent() -> None:
    assert update_plan(Counter, C1, Relabel(label="L"), now=NOW).is_idempotent()


def test_a_builder_update_of_absolute_values_is_idempotent() -> None:
    plan = update_plan(Counter, C1, Update().set("label", "L").remove("note"), now=NOW)
    assert plan.is_idempotent()


def test_an_increment_is_not_idempotent() -> None:
    plan = update_plan(Counter, C1, Update().increment("hits"), now=NOW)
    assert not plan.is_idempotent()


def test_an_add_is_not_idempotent() -> None:
    plan = update_plan(Counter, C1, Update().add("hits", 2), now=NOW)
    assert not plan.is_idempotent()


def test_an_append_is_not_idempotent() -> None:
    update = Update().append("steps", ["x"])
    plan = update_plan(Doc, D1, update, now=NOW, expected_version=ANY_VERSION)
    assert any("append of 'steps'" in h for h in plan.resend_hazards())


def test_a_set_delete_is_not_idempotent() -> None:
    update = Update().delete("tags", {"a"})
    plan = update_plan(Doc, D1, update, now=NOW, expected_version=ANY_VERSION)
    assert any("delete of 'tags'" in h for h in plan.resend_hazards())


def test_a_write_at_a_list_index_is_not_idempotent() -> None:
    update = Update().remove("steps[0]")
    plan = update_plan(Doc, D1, update, now=NOW, expected_version=ANY_VERSION)
    assert any("remove of 'steps.0'" in h for h in plan.resend_hazards())


def test_a_version_bump_without_a_check_is_not_idempotent() -> None:
    plan = update_plan(Doc, D1, Retitle(title="T"), now=NOW, expected_version=ANY_VERSION)
    assert any("increment of 'version'" in h for h in plan.resend_hazards())


def test_a_version_check_fails_a_second_send() -> None:
    hazards = retitle().resend_hazards()
    assert any("condition equals on 'version'" in h for h in hazards)


def test_a_create_is_not_idempotent() -> None:
    hazards = create_plan(Counter, Counter(counter_id="c1"), now=NOW).resend_hazards()
    assert any("not_exists on 'counter_id'" in h for h in hazards)


def test_a_put_of_an_unversioned_model_is_idempotent() -> None:
    assert put_plan(Counter, Counter(counter_id="c1", label="L"), now=NOW).is_idempotent()


def test_a_delete_without_conditions_is_idempotent() -> None:
    assert delete_plan(Counter, C1).is_idempotent()


def test_a_blind_delete_of_a_versioned_item_is_idempotent() -> None:
    assert delete_plan(Doc, D1, expected_version=ANY_VERSION).is_idempotent()


def test_a_delete_expecting_version_zero_is_idempotent() -> None:
    assert delete_plan(Doc, D1, expected_version=0).is_idempotent()


def test_a_delete_with_a_version_check_is_not_idempotent() -> None:
    assert not delete_plan(Doc, D1, expected_version=3).is_idempotent()


def test_a_delete_returning_the_old_item_is_not_idempotent() -> None:
    assert not delete_plan(Counter, C1, return_old=True).is_idempotent()


def test_a_delete_with_a_callers_condition_is_not_idempotent() -> None:
    assert not delete_plan(Counter, C1, condition=Attr("hits") > 1).is_idempotent()


def test_a_callers_condition_on_untouched_attributes_keeps_an_update_idempotent() -> None:
    plan = update_plan(Counter, C1, Relabel(label="L"), now=NOW, condition=Attr("hits") > 1)
    assert plan.is_idempotent()


def test_a_callers_condition_on_a_written_attribute_is_not_idempotent() -> None:
    condition = Attr("label") == "old"
    plan = update_plan(Counter, C1, Relabel(label="L"), now=NOW, condition=condition)
    assert not plan.is_idempotent()


def test_a_callers_condition_on_the_key_is_not_idempotent() -> None:
    condition = Attr("counter_id").not_exists()
    plan = update_plan(
        Counter, C1, Relabel(label="L"), now=NOW, condition=condition, must_exist=False
    )
    assert not plan.is_idempotent()


def test_moving_a_unique_guard_is_not_idempotent() -> None:
    current = {**MEMBER, "email": {"S": "old@x"}}
    plan = update_plan(Member, M1, NewEmail(email="new@x"), now=NOW, current=current)
    assert any("claim of the unique guard" in h for h in plan.resend_hazards())


def test_rewriting_the_same_unique_value_is_idempotent() -> None:
    current = {**MEMBER, "email": {"S": "same@x"}}
    plan = update_plan(Member, M1, NewEmail(email="same@x"), now=NOW, current=current)
    assert plan.is_idempotent()


def test_releasing_guards_of_a_deleted_item_is_not_idempotent() -> None:
    current = {**MEMBER, "email": {"S": "a@x"}}
    plan = delete_plan(Member, M1, current=current)
    assert any("condition exists on 'org'" in h for h in plan.resend_hazards())


def test_a_delete_of_a_unique_model_read_as_missing_is_idempotent() -> None:
    assert delete_plan(Member, M1, current=None).is_idempotent()


def test_hazards_never_show_a_unique_value() -> None:
    current = {**MEMBER, "email": {"S": "secret@x"}}
    plan = update_plan(Member, M1, NewEmail(email="other@x"), now=NOW, current=current)
    assert not any("secret@x" in h for h in plan.resend_hazards())
