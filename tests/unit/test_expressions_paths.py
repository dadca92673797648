"""Path parsing (strict syntax) and resolution against a model (aliases, element types)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from ddbwrap import DomainModel, ValidationError
from ddbwrap.expressions import Path, parse_path, resolve


class Step(BaseModel):
    step_name: str = Field(alias="stepName")
    params: dict[str, int] = {}


class Stage(BaseModel):
    steps: list[Step] = []
    owner: str = ""


class Other(BaseModel):
    note: str = ""


class Job(DomainModel):
    job_id: str
    stages: list[Stage] = Field(default=[], alias="stageList")
    maybe_stage: Stage | None = None
    pair: tuple[int, str] = (0, "")
    numbers: tuple[int, ...] = ()
    anything: Any = None
    raw: dict = {}  # type: ignore[type-arg]
    matrix: list[list[int]] = []
    either: Stage | Other | None = None
    counter: Annotated[int, Field(ge=0)] = 0
    tags: set[str] = set()
    name: str = ""

    class Meta:
        table_name = "jobs"
        partition_key = "job_id"


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a", ("a",)),
        ("a.b", ("a", "b")),
        ("tags[0]", ("tags", 0)),
        ("a.b[2].c", ("a", "b", 2, "c")),
        ("m[1][20]", ("m", 1, 20)),
        ("a-b.c d", ("a-b", "c d")),
    ],
)
def test_parse_accepts_names_dots_and_indexes(text: str, segments: tuple[Any, ...]) -> None:
    assert parse_path(text).segments == segments


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty attribute name at the start"),
        (".a", "empty attribute name at the start"),
        ("a.", "empty attribute name at position 2"),
        ("a..b", "empty attribute name at position 2"),
        ("[0]", "empty attribute name at the start"),
        ("a[]", "is not a non-negative integer"),
        ("a[-1]", "is not a non-negative integer"),
        ("a[x]", "is not a non-negative integer"),
        ("a[ 1]", "is not a non-negative integer"),
        ("a[\u0661]", "is not a non-negative integer"),
        ("a[01]", "leading zero"),
        ("a[1", "never closed"),
        ("a]", "unexpected ']'"),
        ("a[0]b", "unexpected 'b'"),
        ("a.[0]", "empty attribute name at position 2"),
    ],
)
def test_parse_refuses_malformed_paths(text: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        parse_path(text)


def test_parse_refuses_a_non_string() -> None:
    with pytest.raises(ValidationError, match="must be a str"):
        parse_path(3)  # type: ignore[arg-type]


def test_path_renders_back_to_its_text() -> None:
    assert str(parse_path("a.b[2].c")) == "a.b[2].c"


def test_path_of_allows_a_map_key_with_a_dot() -> None:
    assert Path.of("raw", "a.b").segments == ("raw", "a.b")


def test_path_of_refuses_a_leading_index() -> None:
    with pytest.raises(ValidationError, match="must start with an attribute name"):
        Path.of(0, "a")


def test_path_of_refuses_a_negative_index() -> None:
    with pytest.raises(ValidationError, match="negative"):
        Path.of("a", -1)


def test_overlap_is_a_prefix_relation() -> None:
    a, ab, ac = parse_path("a"), parse_path("a.b"), parse_path("a.c")
    assert (a.overlaps(ab), ab.overlaps(a), ab.overlaps(ac)) == (True, True, False)


def test_different_list_elements_do_not_overlap() -> None:
    assert not parse_path("t[0]").overlaps(parse_path("t[1]"))


# --- resolution ------------------------------------------------------------------------------


def test_alias_at_top_level_and_inside_list_elements() -> None:
    assert resolve(Job, "stages[0].steps[1].step_name").stored == (
        "stageList", 0, "steps", 1, "stepName",
    )  # fmt: skip


def test_optional_model_is_followed() -> None:
    assert resolve(Job, "maybe_stage.owner").stored == ("maybe_stage", "owner")


def test_dict_field_accepts_any_key() -> None:
    assert resolve(Job, "stages[0].steps[0].params.anything").stored[-1] == "anything"


def test_untyped_dict_and_any_accept_anything_below() -> None:
    assert resolve(Job, "raw.x[3].y").stored == ("raw", "x", 3, "y")
    assert resolve(Job, "anything.x[3]").kinds == {"any"}


def test_nested_lists_index_twice() -> None:
    assert resolve(Job, "matrix[1][2]").kinds == {"number"}


def test_fixed_tuple_position_has_its_own_type() -> None:
    assert resolve(Job, "pair[1]").kinds == {"string"}


def test_fixed_tuple_index_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="index 2 is out of range"):
        resolve(Job, "pair[2]")


def test_variadic_tuple_accepts_any_index() -> None:
    assert resolve(Job, "numbers[7]").kinds == {"number"}


def test_union_of_models_accepts_a_field_of_either() -> None:
    assert resolve(Job, "either.note").stored == ("either", "note")
    assert resolve(Job, "either.owner").stored == ("either", "owner")


def test_union_of_models_refuses_a_field_of_neither() -> None:
    with pytest.raises(ValidationError, match="has no field 'nothing'"):
        resolve(Job, "either.nothing")


def test_index_on_a_string_is_refused() -> None:
    with pytest.raises(ValidationError, match="'name' is a str, not a list"):
        resolve(Job, "name[0]")


def test_index_on_a_set_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a list"):
        resolve(Job, "tags[0]")


def test_index_on_a_model_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a list"):
        resolve(Job, "maybe_stage[0]")


def test_member_of_a_list_is_refused() -> None:
    with pytest.raises(ValidationError, match="has no named members"):
        resolve(Job, "stages.steps")


def test_member_of_a_scalar_is_refused() -> None:
    with pytest.raises(ValidationError, match="'name' is a str, which has no named members"):
        resolve(Job, "name.first")


def test_unknown_top_level_field_suggests_the_closest() -> None:
    with pytest.raises(ValidationError, match=r"Job has no field 'stags'.*did you mean 'stages'"):
        resolve(Job, "stags")


def test_unknown_nested_field_names_the_nested_model_and_prefix() -> None:
    with pytest.raises(ValidationError, match=r"Step \(at 'stages\[0\].steps\[0\]'\)"):
        resolve(Job, "stages[0].steps[0].step_nme")


def test_unknown_field_error_names_model_and_path() -> None:
    with pytest.raises(ValidationError) as info:
        resolve(Job, "maybe_stage.ownr")
    assert (info.value.model, info.value.field) == ("Job", "maybe_stage.ownr")
    assert "did you mean 'owner'?" in str(info.value)


def test_nested_alias_is_not_accepted_as_field_name() -> None:
    with pytest.raises(ValidationError, match="stored name of field 'step_name'"):
        resolve(Job, "stages[0].steps[0].stepName")


def test_field_constraints_are_kept_for_value_validation() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        resolve(Job, "counter").validate(-1, "set value")


def test_top_level_key_is_recorded_for_key_encoding() -> None:
    assert resolve(Job, "job_id").key is not None
    assert resolve(Job, "name").key is None


def test_resolution_is_cached_per_model_and_path() -> None:
    assert resolve(Job, "stages[0].owner") is resolve(Job, "stages[0].owner")


def test_a_plain_pydantic_model_is_not_a_table_model() -> None:
    with pytest.raises(TypeError, match="is not a DomainModel"):
        resolve(Step, "step_name")
