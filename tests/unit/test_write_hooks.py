"""The write hooks: what each server-managed behaviour adds to a write, as data, in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ddbwrap import DomainModel, ValidationError
from ddbwrap.expressions._clauses import AttributeCheck, UpdateAction
from ddbwrap.model import schema_of
from ddbwrap.write.hooks import (
    UNREAD,
    CreatedAt,
    Existence,
    GuardMove,
    PendingWrite,
    UniqueGuards,
    UpdatedAt,
    Version,
    apply_hooks,
    hooks_for,
    server_values,
)

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
NOW_AV = {"S": "2026-01-02T03:04:05.000000Z"}


class Doc(DomainModel):
    doc_id: str
    title: str = ""
    version: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    class Meta:
        table_name = "docs"
        partition_key = "doc_id"
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"


class Member(DomainModel):
    org: str
    member_id: str
    email: str
    handle: str | None = None

    class Meta:
        table_name = "members"
        partition_key = "org"
        sort_key = "member_id"
        unique = ("email", "handle")


class Plain(DomainModel):
    plain_id: str

    class Meta:
        table_name = "plain"
        partition_key = "plain_id"


DOC_KEY = {"doc_id": {"S": "d1"}}
MEMBER_KEY = {"org": {"S": "o"}, "member_id": {"S": "m"}}


def doc_write(operation: Any, **fields: Any) -> PendingWrite:
    return PendingWrite(operation, Doc, schema_of(Doc), DOC_KEY, **{"now": NOW, **fields})


def member_write(operation: Any, **fields: Any) -> PendingWrite:
    return PendingWrite(operation, Member, schema_of(Member), MEMBER_KEY, now=NOW, **fields)


# --- existence ------------------------------------------------------------------------------


def test_create_requires_the_item_to_be_missing() -> None:
    modification = Existence().before_write(doc_write("create"))
    assert modification is not None
    assert modification.conditions == (AttributeCheck("not_exists", "doc_id"),)


def test_a_write_that_must_find_the_item_requires_it() -> None:
    modification = Existence().before_write(doc_write("update", must_exist=True))
    assert modification is not None
    assert modification.conditions == (AttributeCheck("exists", "doc_id"),)


def test_a_put_adds_no_existence_condition() -> None:
    assert Existence().before_write(doc_write("put")) is None


# --- updated_at -----------------------------------------------------------------------------


def test_an_update_sets_updated_at_to_now() -> None:
    modification = UpdatedAt().before_write(doc_write("update"))
    assert modification is not None
    assert modification.updates == (UpdateAction("set", ("updated_at",), NOW_AV),)


def test_an_update_that_sets_updated_at_itself_keeps_its_value() -> None:
    write = doc_write("update", touched=frozenset({"updated_at"}))
    assert UpdatedAt().before_write(write) is None


def test_a_whole_item_write_stamps_updated_at_on_the_item() -> None:
    assert UpdatedAt().item_values(schema_of(Doc), "put", NOW) == {"updated_at": NOW}


def test_a_delete_stamps_nothing() -> None:
    assert UpdatedAt().before_write(doc_write("delete", now=None)) is None


# --- version --------------------------------------------------------------------------------


def test_create_stores_version_one() -> None:
    assert Version().item_values(schema_of(Doc), "create", NOW) == {"version": 1}


def test_an_update_bumps_the_version() -> None:
    modification = Version().before_write(doc_write("update", expected_version=3))
    assert modification is not None
    assert modification.updates == (UpdateAction("increment", ("version",), {"N": "1"}),)


def test_an_update_requires_the_version_it_read() -> None:
    modification = Version().before_write(doc_write("update", expected_version=3))
    assert modification is not None
    assert modification.conditions == (AttributeCheck("equals", "version", {"N": "3"}),)


def test_expected_version_zero_also_accepts_a_missing_version() -> None:
    modification = Version().before_write(doc_write("update", expected_version=0))
    assert modification is not None
    assert modification.conditions == (AttributeCheck("missing_or_equals", "version", {"N": "0"}),)


def test_a_blind_write_bumps_without_a_check() -> None:
    modification = Version().before_write(doc_write("update", expected_version=None))
    assert modification is not None
    assert modification.conditions == ()


def test_a_delete_checks_the_version_without_bumping() -> None:
    modification = Version().before_write(doc_write("delete", now=None, expected_version=2))
    assert modification is not None
    assert modification.updates == ()


def test_a_put_leaves_the_version_attribute_to_the_hook() -> None:
    modification = Version().before_write(doc_write("put", expected_version=1))
    assert modification is not None
    assert modification.owns == frozenset({"version"})


# --- created_at -----------------------------------------------------------------------------


def test_create_stamps_created_at() -> None:
    assert CreatedAt().item_values(schema_of(Doc), "create", NOW) == {"created_at": NOW}


def test_a_put_sets_created_at_only_when_missing() -> None:
    modification = CreatedAt().before_write(doc_write("put"))
    assert modification is not None
    assert modification.updates == (UpdateAction("set_if_not_exists", ("created_at",), NOW_AV),)


def test_an_upsert_sets_created_at_only_when_missing() -> None:
    modification = CreatedAt().before_write(doc_write("update", must_exist=False))
    assert modification is not None
    assert [a.form for a in modification.updates] == ["set_if_not_exists"]


def test_an_update_of_an_existing_item_leaves_created_at_alone() -> None:
    assert CreatedAt().before_write(doc_write("update", must_exist=True)) is None


# --- unique guards --------------------------------------------------------------------------


def test_create_claims_each_unique_value_it_stores() -> None:
    write = member_write("create", unique_values={"email": {"S": "a@x"}, "handle": None})
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert modification.guards == (GuardMove("claim", "email", {"S": "a@x"}),)


def test_changing_a_unique_value_unread_is_refused() -> None:
    write = member_write("update", unique_values={"email": {"S": "b@x"}}, current=UNREAD)
    with pytest.raises(ValidationError, match="needs the stored item"):
        UniqueGuards().before_write(write)


def test_changing_a_unique_value_releases_the_old_and_claims_the_new() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}}
    write = member_write("update", unique_values={"email": {"S": "b@x"}}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert modification.guards == (
        GuardMove("release", "email", {"S": "a@x"}),
        GuardMove("claim", "email", {"S": "b@x"}),
    )


def test_the_value_read_is_required_to_still_be_stored() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}}
    write = member_write("update", unique_values={"email": {"S": "b@x"}}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert modification.conditions == (
        AttributeCheck("exists", "org"),
        AttributeCheck("equals", "email", {"S": "a@x"}),
    )


def test_a_value_read_as_null_is_required_to_be_null_or_missing() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}, "handle": {"NULL": True}}
    write = member_write("update", unique_values={"handle": {"S": "h"}}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert AttributeCheck("missing_or_null", "handle") in modification.conditions


def test_an_unchanged_unique_value_moves_no_guard() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}}
    write = member_write("update", unique_values={"email": {"S": "a@x"}}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert modification.guards == ()


def test_a_write_based_on_a_missing_item_requires_it_still_missing() -> None:
    write = member_write("update", unique_values={"email": {"S": "b@x"}}, current=None)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert (modification.conditions, modification.assumed_missing) == (
        (AttributeCheck("not_exists", "org"),),
        True,
    )


def test_a_delete_releases_every_stored_unique_value() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}, "handle": {"S": "h"}}
    write = member_write("delete", unique_values={"email": None, "handle": None}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert [(g.operation, g.field) for g in modification.guards] == [
        ("release", "email"),
        ("release", "handle"),
    ]


def test_the_guards_remember_the_values_they_were_computed_from() -> None:
    current = {**MEMBER_KEY, "email": {"S": "a@x"}}
    write = member_write("update", unique_values={"email": {"S": "b@x"}}, current=current)
    modification = UniqueGuards().before_write(write)
    assert modification is not None
    assert modification.seen_unique == {"email": {"S": "a@x"}}


# --- all hooks together ---------------------------------------------------------------------


def test_hooks_that_cannot_apply_to_a_model_are_not_run() -> None:
    assert [type(h) for h in hooks_for(schema_of(Plain))] == [Existence]


def test_updates_come_in_hook_order_updated_at_version_created_at() -> None:
    write = doc_write("update", expected_version=1, must_exist=False)
    paths = [a.path for a in apply_hooks(write).updates]
    assert paths == [("updated_at",), ("version",), ("created_at",)]


def test_conditions_come_in_hook_order_existence_version_unique() -> None:
    write = doc_write("update", expected_version=1, must_exist=True)
    tests = [(c.test, c.attribute) for c in apply_hooks(write).conditions]
    assert tests == [("exists", "doc_id"), ("equals", "version")]


def test_a_put_lets_the_hooks_own_version_and_created_at() -> None:
    assert apply_hooks(doc_write("put", expected_version=1)).owns == {"version", "created_at"}


def test_create_gets_version_one_and_both_timestamps() -> None:
    assert server_values(schema_of(Doc), "create", NOW) == {
        "updated_at": NOW,
        "version": 1,
        "created_at": NOW,
    }


def test_a_put_gets_only_updated_at() -> None:
    assert server_values(schema_of(Doc), "put", NOW) == {"updated_at": NOW}


def test_hooks_are_pure_the_same_write_gives_the_same_modification() -> None:
    write = doc_write("update", expected_version=4, must_exist=True)
    assert apply_hooks(write) == apply_hooks(write)
