"""Write models: ``CreateDTO[M]`` and ``UpdateDTO[M]``.

A DTO declares some of ``M``'s fields (checked at class definition: names, types, roles) and
every value it is given is validated twice: by the DTO's own declaration, then by ``M``'s rules
for that field (its type, constraints such as ``max_length`` and its ``@field_validator``s),
so a DTO can never carry a value the domain model would refuse. ``M``'s normalisations (a
validator that lower-cases an email, say) apply too: the DTO holds the value ``M`` would. As on
every read (which validates stored values with the same rules), validators must be idempotent.

Definition-time rules (``ModelDefinitionError``):

- fields must exist in ``M`` with compatible types (``subset.check_subset``);
- server-managed fields (``Meta.version_attribute``, ``created_at_attribute``,
  ``updated_at_attribute``) are set by ddbwrap, so a DTO may not declare them;
- an ``UpdateDTO`` may not declare a table key field (the key is passed separately and cannot
  change), and declares either all or none of the fields of each index key template;
- a ``CreateDTO`` must declare every field of ``M`` that has no default;
- a DTO field's default must be a value ``M`` accepts;
- an ``UpdateDTO`` field may not have a default other than None (an update writes only the
  fields the caller set, so the default would never be written);
- a DTO field may narrow ``M``'s type: ``Literal["active", "paused"]`` for a ``str`` field
  (a strict writer of known values only, on a table other services write too).

Unknown keyword arguments are refused (``extra="forbid"``): a typo is an error, not a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError, PydanticUndefined

from .._redact import loc_text
from ..annotations import strip_optional
from ..codec import BY_NAME, plain_data
from ..errors import ModelDefinitionError, ValidationError
from ..keys import domain_field_validator
from ..model import DomainModel, schema_of
from ..subset import check_subset, domain_model_of

M = TypeVar("M", bound=DomainModel)

FieldValidator = Callable[[Any], Any]


# --- the domain's per-field validators ------------------------------------------------------


def _domain_error(model: type[BaseModel], name: str, exc: PydanticValidationError) -> Exception:
    errors = exc.errors(include_url=False)
    detail = "; ".join(
        (loc_text(e["loc"]) + ": " if e["loc"] else "") + e["msg"] for e in errors
    )
    kind = errors[0]["type"] if len(errors) == 1 else "domain_rules"
    return PydanticCustomError(
        kind,
        "{model}.{field} refuses this value: {detail}",
        {"model": model.__name__, "field": name, "detail": detail},
    )


def _type_text(annotation: Any) -> str:
    annotation = strip_optional(annotation)
    return getattr(annotation, "__name__", None) or repr(annotation).replace("typing.", "")


# --- the DTO base ---------------------------------------------------------------------------


class _WriteModel(BaseModel):
    """Shared machinery of CreateDTO and UpdateDTO."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    __ddb_domain__: ClassVar[type[DomainModel] | None] = None
    __ddb_attributes__: ClassVar[Mapping[str, str]] = {}
    """DTO field name -> stored attribute name in the domain model's table."""
    _ddb_kind: ClassVar[str] = "DTO"
    _ddb_base: ClassVar[type] = BaseModel

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        base = cls._ddb_base
        domain = domain_model_of(cls, base)
        metadata = cls.__pydantic_generic_metadata__
        if domain is None:
            if not metadata["parameters"]:
                raise ModelDefinitionError(
                    cls.__name__,
                    f"a {cls._ddb_kind} must name its domain model: declare it as "
                    f"class {cls.__name__}({cls._ddb_kind}[YourModel])",
                )
            return
        if not issubclass(domain, DomainModel):
            raise ModelDefinitionError(
                cls.__name__,
                f"{cls._ddb_kind}[{domain.__name__}]: {domain.__name__} is not a DomainModel",
            )
        cls.__ddb_domain__ = domain
        cls.__ddb_attributes__ = check_subset(cls, domain, cls._ddb_kind, narrowing=True)
        if metadata["origin"] is not None:
            return  # the bare parametrisation CreateDTO[M] itself: declares no fields yet
        cls._check_server_managed(domain)
        cls._check_roles(domain)
        cls._check_defaults(domain)

    @classmethod
    def _check_server_managed(cls, domain: type[DomainModel]) -> None:
        schema = schema_of(domain)
        managed = {
            schema.version_field: "Meta.version_attribute (ddbwrap sets and checks the version)",
            schema.created_at_field: "Meta.created_at_attribute (ddbwrap sets it on create)",
            schema.updated_at_field: "Meta.updated_at_attribute (ddbwrap sets it on every write)",
        }
        for name in cls.model_fields:
            if name in managed:
                raise ModelDefinitionError(
                    cls.__name__,
                    f"is server-managed by {managed[name]}; remove it from the {cls._ddb_kind}",
                    field=name,
                )

    @classmethod
    def _check_roles(cls, domain: type[DomainModel]) -> None:
        """Kind-specific rules (overridden)."""

    @classmethod
    def _check_defaults(cls, domain: type[DomainModel]) -> None:
        for name, info in cls.model_fields.items():
            default = info.default
            if default is PydanticUndefined or default is None or info.default_factory:
                continue
            try:
                domain_field_validator(domain, name)(default)
            except PydanticValidationError as exc:
                detail = "; ".join(e["msg"] for e in exc.errors(include_url=False))
                raise ModelDefinitionError(
                    cls.__name__,
                    f"default {default!r} is refused by {domain.__name__}.{name}: {detail}",
                    field=name,
                ) from None

    @field_validator("*", mode="after")
    @classmethod
    def _domain_rules(cls, value: Any, info: ValidationInfo) -> Any:
        domain = cls.__ddb_domain__
        name = info.field_name
        if domain is None or name is None:
            return value
        try:
            return domain_field_validator(domain, name)(value)
        except PydanticValidationError as exc:
            raise _domain_error(domain, name, exc) from None

    def checked_values(self, names: Iterable[str]) -> dict[str, Any]:
        """The values of fields ``names``, after checking that this DTO holds what its own
        validation (its declaration, then the domain model's rules) makes of them.

        A DTO built with ``model_construct()``, changed by ``model_copy(update=...)`` or by
        assignment was never validated; writing its values could store an item no read
        accepts. So every write revalidates the DTO's values (nested models as plain data, so
        they are validated too) and refuses the DTO when validation fails or changes a value
        (validators are idempotent). Costs one validation of the DTO.
        """
        cls = type(self)
        values = self.__dict__
        # the fields set (defaults are checked when the class is defined, and not validated)
        data = {name: plain_data(values[name]) for name in self.model_fields_set}
        try:
            validated = cls.__pydantic_validator__.validate_python(data, **BY_NAME)
        except PydanticValidationError as exc:
            errors = exc.errors(include_url=False)
            details = "; ".join(
                loc_text(e["loc"]) + ": " + e["msg"] for e in errors
            )
            raise ValidationError(
                f"the {cls.__name__} holds values its own rules refuse ({details}), so it was "
                "never validated: built with model_construct(), changed by model_copy("
                "update=...) or by assignment. Nothing was written; build it with "
                f"{cls.__name__}(...) or model_validate()",
                model=self._domain_name(),
                field=self._field_of(errors[0]["loc"]) if errors else None,
            ) from None
        out: dict[str, Any] = {}
        for name in names:
            value = values[name]
            if validated.__dict__[name] != value and value == value:  # noqa: PLR0124 - NaN
                raise ValidationError(
                    f"the {cls.__name__} holds a value that its own validation changes "
                    f"(a {type(value).__name__} where it makes a "
                    f"{type(validated.__dict__[name]).__name__}, or a value its validators "
                    "normalise), so it was never validated: built with model_construct(), "
                    "changed by model_copy(update=...) or by assignment. Nothing was written; "
                    f"build it with {cls.__name__}(...) or model_validate()",
                    model=self._domain_name(),
                    field=name,
                )
            out[name] = value
        return out

    def _domain_name(self) -> str:
        domain = type(self).__ddb_domain__
        return domain.__name__ if domain is not None else type(self).__name__

    def _field_of(self, loc: tuple[int | str, ...]) -> str | None:
        if not loc:
            return None
        first = str(loc[0])
        for name, info in type(self).model_fields.items():
            if first in (name, info.alias):
                return name
        return first

    @classmethod
    def domain_model(cls) -> type[DomainModel]:
        """The domain model this DTO writes."""
        domain = cls.__ddb_domain__
        if domain is None:
            raise ModelDefinitionError(
                cls.__name__, f"is not bound to a domain model ({cls._ddb_kind}[Model])"
            )
        return domain


class CreateDTO(_WriteModel, Generic[M]):
    """The fields a caller supplies to create an ``M``: ``class NewUser(CreateDTO[User])``.

    Must declare every field of ``M`` without a default (server-managed ones excepted).
    """

    _ddb_kind: ClassVar[str] = "CreateDTO"

    @classmethod
    def _check_roles(cls, domain: type[DomainModel]) -> None:
        schema = schema_of(domain)
        managed = {schema.version_field, schema.created_at_field, schema.updated_at_field}
        missing = [
            name
            for name, info in domain.model_fields.items()
            if info.is_required() and name not in cls.model_fields and name not in managed
        ]
        if missing:
            raise ModelDefinitionError(
                cls.__name__,
                f"does not declare {', '.join(missing)}, which {domain.__name__} requires (no "
                "default); add them to the CreateDTO or give them defaults in the model",
            )

    def values(self) -> dict[str, Any]:
        """Every field's value (defaults included), by field name; checked (see
        ``checked_values``)."""
        return self.checked_values(type(self).model_fields)


class UpdateDTO(_WriteModel, Generic[M]):
    """A validated partial update of an ``M``: ``class Rename(UpdateDTO[User])``.

    Only the fields the caller set (``model_fields_set``) are written; an explicit ``None``
    removes an optional attribute; everything else on the item is left untouched.
    """

    _ddb_kind: ClassVar[str] = "UpdateDTO"

    @classmethod
    def _check_roles(cls, domain: type[DomainModel]) -> None:
        schema = schema_of(domain)
        declared = set(cls.model_fields)
        for name, info in cls.model_fields.items():
            if info.default_factory is not None or (
                info.default is not PydanticUndefined and info.default is not None
            ):
                shown_default = (
                    "a default_factory" if info.default_factory else f"default {info.default!r}"
                )
                raise ModelDefinitionError(
                    cls.__name__,
                    f"has {shown_default}, which an update would never write: an UpdateDTO "
                    f"writes only the fields the caller sets, so a default would silently not "
                    f"reach {domain.__name__}. Declare it `{name}: {_type_text(info.annotation)} | "
                    "None = None` (optional: "
                    f"set it to write it) or without a default (required), and pass the value "
                    "when you build the DTO",
                    field=name,
                )
        for name in schema.key_fields:
            if name in declared:
                raise ModelDefinitionError(
                    cls.__name__,
                    "is part of the table's primary key, which an update cannot change; pass "
                    "the key separately (writes.update(key, dto)), or delete and re-create",
                    field=name,
                )
        for key in schema.index_key_attributes.values():
            if key.template is None:
                continue
            parts = set(key.template.fields)
            if parts & declared and not parts <= declared:
                missing = sorted(parts - declared)
                raise ModelDefinitionError(
                    cls.__name__,
                    f"declares part of key template {key.template.pattern!r} (stored as "
                    f"{key.attribute!r}) but not {', '.join(missing)}; the key is rebuilt from "
                    "all its parts on update, so declare all of them or none",
                )

    def changes(self) -> dict[str, Any]:
        """The fields the caller set, by field name (``None`` means: remove the attribute);
        checked (see ``checked_values``)."""
        return self.checked_values(self.model_fields_set)


# pydantic reads these at subclass creation; set after the classes exist.
CreateDTO._ddb_base = CreateDTO
UpdateDTO._ddb_base = UpdateDTO
