"""The table schema derived once from a model's ``Meta``: keys, indexes, attribute names.

Every later layer (codec, expressions, reads, writes, tooling) reads this object; nothing
re-parses ``Meta``. A bad declaration raises ``ModelDefinitionError`` naming the model and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic.fields import FieldInfo

from .annotations import (
    ScalarType,
    is_bool,
    is_datetime,
    is_int,
    is_optional,
    key_scalar_type,
    strip_optional,
)
from .entities import Discriminator, KeyPrefix
from .errors import ModelDefinitionError, ValidationError
from .meta import ALL, GSI, LSI, MAX_KEY_ATTRIBUTES, KeySpec, KeyTemplate, Projection
from .upcast import META_OPTIONS as UPCAST_OPTIONS
from .upcast import SchemaVersioning, versioning_from_meta

if TYPE_CHECKING:
    from pydantic import BaseModel

UNIQUE_KEY_ATTRIBUTE = "pk"
MAX_GSIS = 20
MAX_LSIS = 5

META_OPTIONS = frozenset(
    {
        "table_name",
        "partition_key",
        "sort_key",
        "gsis",
        "lsis",
        "version_attribute",
        "ttl_attribute",
        "unique",
        "unique_table",
        "created_at_attribute",
        "updated_at_attribute",
        "naive_datetime_zone",
        "store_none",
        "billing_mode",
        "lint_ignore",
        "owner",
        "stream",
        "entity",
    }
) | UPCAST_OPTIONS

STREAM_VIEW_TYPES = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")


@dataclass(frozen=True)
class KeyAttribute:
    """One key attribute: where it is stored, its DynamoDB type, and the fields it is built from."""

    attribute: str
    type: ScalarType
    field: str | None = None
    template: KeyTemplate | None = None
    is_bool: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        """The model fields needed to build this key."""
        return self.template.fields if self.template else (self.field,) if self.field else ()


@dataclass(frozen=True)
class IndexSchema:
    """A GSI or LSI as derived from ``Meta``."""

    name: str
    kind: Literal["GSI", "LSI"]
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    projection: Projection
    projected_attributes: frozenset[str] | None
    """Stored attribute names the index holds, or None when it projects ALL."""
    partition_keys: tuple[KeyAttribute, ...] = ()
    """Every partition key attribute, in order (one, or up to four for a native multi-attribute
    key); ``partition_key`` is the first. Filled from ``partition_key`` when not given."""
    sort_keys: tuple[KeyAttribute, ...] = ()
    """Every sort key attribute, in order (none, one, or up to four); ``sort_key`` is the first."""

    def __post_init__(self) -> None:
        if not self.partition_keys:
            object.__setattr__(self, "partition_keys", (self.partition_key,))
        if not self.sort_keys and self.sort_key is not None:
            object.__setattr__(self, "sort_keys", (self.sort_key,))

    @property
    def key_attributes(self) -> tuple[KeyAttribute, ...]:
        """The index's key attributes: the partition ones, then the sort ones, in order."""
        return self.partition_keys + self.sort_keys

    @property
    def multi_attribute(self) -> bool:
        """True when the partition key or the sort key is made of several attributes."""
        return len(self.partition_keys) > 1 or len(self.sort_keys) > 1

    def can_supply(self, attributes: frozenset[str]) -> bool:
        """True when every one of ``attributes`` is projected into this index."""
        return self.projected_attributes is None or attributes <= self.projected_attributes


@dataclass(frozen=True)
class TableSchema:
    """Everything ddbwrap derives from one model's ``Meta``."""

    model_name: str
    table_name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None
    gsis: tuple[IndexSchema, ...]
    lsis: tuple[IndexSchema, ...]
    field_attributes: Mapping[str, str]
    """Model field name -> stored attribute name (the pydantic alias, when one is set)."""
    version_field: str | None = None
    ttl_field: str | None = None
    created_at_field: str | None = None
    updated_at_field: str | None = None
    unique: tuple[str, ...] = ()
    unique_table: str | None = None
    """Table holding the guard items of ``unique`` fields (``<table>-unique`` by default)."""
    naive_datetime_zone: zoneinfo.ZoneInfo | None = None
    """``Meta.naive_datetime_zone``: the zone of naive datetimes, both those read from items
    (written by another service without an offset; UTC when undeclared) and those given to
    writes (refused when undeclared)."""
    store_none: bool = False
    """``Meta.store_none``: store a None field as NULL (default: the attribute is omitted)."""
    billing_mode: str = "PAY_PER_REQUEST"
    lint_ignore: tuple[str, ...] = ()
    owner: str | None = None
    """``Meta.owner``: the service that owns the table when it is another one (``"pp_api"``);
    lint then warns about cross-service writes and schema changes (DDB111-DDB113)."""
    stream_view_type: str | None = None
    """``Meta.stream``: the table's DynamoDB Streams view type, or None for no stream."""
    versioning: SchemaVersioning | None = None
    """``Meta.schema_version`` and its upcasters (``ddbwrap.upcast``), or None."""
    entity: KeyPrefix | Discriminator | None = None
    """``Meta.entity``: how this model's items are told apart from other models' items in a
    shared table (:mod:`ddbwrap.entities`), or None when it declares nothing."""
    discriminator: tuple[str, tuple[Any, ...]] | None = None
    """The stored attribute of a ``Discriminator`` field and the values that identify the model."""
    attribute_fields: Mapping[str, str] = field(init=False)
    key_attributes: tuple[KeyAttribute, ...] = field(init=False)
    index_key_attributes: Mapping[str, KeyAttribute] = field(init=False)
    key_fields: tuple[str, ...] = field(init=False)
    """Model fields that make up the table's primary key, each once, in declaration order."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "attribute_fields", {a: f for f, a in self.field_attributes.items()}
        )
        table_keys = (self.partition_key,) + ((self.sort_key,) if self.sort_key else ())
        object.__setattr__(self, "key_attributes", table_keys)
        fields = tuple(dict.fromkeys(f for key in table_keys for f in key.fields))
        object.__setattr__(self, "key_fields", fields)
        every: dict[str, KeyAttribute] = {k.attribute: k for k in table_keys}
        for index in self.indexes:
            for key in index.key_attributes:
                every.setdefault(key.attribute, key)
        object.__setattr__(self, "index_key_attributes", every)

    @property
    def indexes(self) -> tuple[IndexSchema, ...]:
        return self.gsis + self.lsis

    @property
    def version_attribute(self) -> str | None:
        return self.field_attributes[self.version_field] if self.version_field else None

    @property
    def ttl_attribute(self) -> str | None:
        return self.field_attributes[self.ttl_field] if self.ttl_field else None

    def index(self, name: str) -> IndexSchema:
        """The declared index called ``name``; a clear error lists the declared ones otherwise."""
        for index in self.indexes:
            if index.name == name:
                return index
        declared = ", ".join(repr(i.name) for i in self.indexes) or "none"
        raise ValidationError(
            f"no index named {name!r} is declared in Meta (declared: {declared}); "
            "declare it in Meta.gsis or Meta.lsis",
            model=self.model_name,
        )

    def unique_table_params(self, table_name: str | None = None) -> dict[str, Any] | None:
        """CreateTable kwargs of the guard-item table, or None when nothing is unique.

        Guard items are keyed by a string ``pk`` of the form ``<Model>#<field>#<value>``.
        """
        if self.unique_table is None:
            return None
        return {
            "TableName": table_name or self.unique_table,
            "KeySchema": [{"AttributeName": UNIQUE_KEY_ATTRIBUTE, "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": UNIQUE_KEY_ATTRIBUTE, "AttributeType": "S"}
            ],
            "BillingMode": self.billing_mode,
            **(
                {"ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}
                if self.billing_mode == "PROVISIONED"
                else {}
            ),
        }

    def attribute_definitions(self) -> list[dict[str, str]]:
        """AttributeDefinitions for CreateTable: every attribute used in a table or index key."""
        return [
            {"AttributeName": name, "AttributeType": key.type}
            for name, key in sorted(self.index_key_attributes.items())
        ]

    def create_table_params(
        self, table_name: str | None = None, *, billing_mode: str | None = None
    ) -> dict[str, Any]:
        """The complete keyword arguments of ``client.create_table`` for this model's table."""
        mode = billing_mode or self.billing_mode
        params: dict[str, Any] = {
            "TableName": table_name or self.table_name,
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "AttributeDefinitions": self.attribute_definitions(),
            "BillingMode": mode,
        }
        if mode == "PROVISIONED":
            params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        if self.gsis:
            params["GlobalSecondaryIndexes"] = [self._index_params(i, mode) for i in self.gsis]
        if self.lsis:
            params["LocalSecondaryIndexes"] = [self._index_params(i, mode) for i in self.lsis]
        if self.stream_view_type:
            params["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": self.stream_view_type,
            }
        return params

    def _index_params(self, index: IndexSchema, mode: str) -> dict[str, Any]:
        projection: dict[str, Any] = {"ProjectionType": index.projection.type}
        if index.projection.type == "INCLUDE":
            projection["NonKeyAttributes"] = [
                self.field_attributes[f] for f in index.projection.fields
            ]
        params: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": [
                *({"AttributeName": k.attribute, "KeyType": "HASH"} for k in index.partition_keys),
                *({"AttributeName": k.attribute, "KeyType": "RANGE"} for k in index.sort_keys),
            ],
            "Projection": projection,
        }
        if mode == "PROVISIONED" and index.kind == "GSI":
            params["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        return params


def _key_schema(pk: KeyAttribute, sk: KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.attribute, "KeyType": "HASH"}]
    if sk is not None:
        schema.append({"AttributeName": sk.attribute, "KeyType": "RANGE"})
    return schema


def build_schema(model: type[BaseModel], meta: type) -> TableSchema:
    """Derive and check the TableSchema of ``model`` from its ``Meta`` class."""
    return _SchemaBuilder(model, meta).build()


class _SchemaBuilder:
    def __init__(self, model: type[BaseModel], meta: type) -> None:
        self.model = model
        self.name = model.__name__
        self.meta = meta
        self.fields: dict[str, FieldInfo] = dict(model.model_fields)
        self.attributes = {name: info.alias or name for name, info in self.fields.items()}

    def fail(self, message: str, field: str | None = None) -> ModelDefinitionError:
        return ModelDefinitionError(self.name, message, field=field)

    def option(self, name: str, default: Any = None) -> Any:
        return getattr(self.meta, name, default)

    def build(self) -> TableSchema:
        self.check_options()
        self.check_aliases()
        table_name = self.option("table_name")
        if not isinstance(table_name, str) or not table_name:
            raise self.fail("Meta.table_name is required and must be a non-empty string")
        pk_spec = self.option("partition_key")
        if pk_spec is None:
            raise self.fail("Meta.partition_key is required (a field name or a KeyTemplate)")
        pk = self.key(pk_spec, "partition_key", table_key=True)
        sk_spec = self.option("sort_key")
        sk = self.key(sk_spec, "sort_key", table_key=True) if sk_spec is not None else None
        if sk is not None and sk.attribute == pk.attribute:
            raise self.fail("Meta.sort_key is the same attribute as the partition key", sk.field)
        gsis = tuple(self.gsi(g, pk, sk) for g in self.declarations("gsis", "GSI"))
        lsis = tuple(self.lsi(i, pk, sk) for i in self.declarations("lsis", "LSI"))
        if len(gsis) > MAX_GSIS:
            raise self.fail(f"{len(gsis)} GSIs declared; DynamoDB allows at most {MAX_GSIS}")
        if len(lsis) > MAX_LSIS:
            raise self.fail(f"{len(lsis)} LSIs declared; DynamoDB allows at most {MAX_LSIS}")
        names = [i.name for i in gsis + lsis]
        for name in names:
            if names.count(name) > 1:
                raise self.fail(f"index name {name!r} is declared twice; index names are unique")
        self.check_template_collisions(pk, sk, gsis + lsis)
        zone_name = self.option("naive_datetime_zone")
        unique = self.unique_fields(pk, sk)
        unique_table = self.option("unique_table") or (f"{table_name}-unique" if unique else None)
        return TableSchema(
            model_name=self.name,
            table_name=table_name,
            partition_key=pk,
            sort_key=sk,
            gsis=gsis,
            lsis=lsis,
            field_attributes=self.attributes,
            version_field=self.special_field("version_attribute", is_int, "an int"),
            ttl_field=self.special_field(
                "ttl_attribute", lambda a: is_int(a) or is_datetime(a), "a datetime or an int"
            ),
            created_at_field=self.special_field("created_at_attribute", is_datetime, "a datetime"),
            updated_at_field=self.special_field("updated_at_attribute", is_datetime, "a datetime"),
            unique=unique,
            unique_table=unique_table,
            naive_datetime_zone=self.zone(zone_name) if zone_name else None,
            store_none=bool(self.option("store_none", False)),
            billing_mode=self.billing_mode(),
            lint_ignore=tuple(self.option("lint_ignore", ()) or ()),
            owner=self.owner(),
            stream_view_type=self.stream_view_type(),
            **self.entity(pk, sk),
            versioning=versioning_from_meta(
                self.name,
                self.meta,
                self.attributes,
                {
                    k.attribute: f"the attribute of key template {k.template.pattern!r}"
                    for k in (pk, sk, *(k for i in gsis + lsis for k in i.key_attributes))
                    if k is not None and k.template is not None
                },
            ),
        )

    def check_options(self) -> None:
        for name in vars(self.meta):
            if name.startswith("_") or name in META_OPTIONS:
                continue
            close = difflib.get_close_matches(name, sorted(META_OPTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"unknown Meta option {name!r}{hint}")

    def check_aliases(self) -> None:
        seen: dict[str, str] = {}
        for name, attribute in self.attributes.items():
            if attribute in seen:
                raise self.fail(
                    f"is stored as {attribute!r}, like field {seen[attribute]!r}; "
                    "stored attribute names must be unique",
                    name,
                )
            seen[attribute] = name

    def field_info(self, name: object, role: str) -> FieldInfo:
        if not isinstance(name, str):
            raise self.fail(f"{role} must be a field name (str), got {name!r}")
        if name not in self.fields:
            close = difflib.get_close_matches(name, list(self.fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise self.fail(f"{role} names a field that does not exist{hint}", name)
        return self.fields[name]

    def key(self, spec: KeySpec, role: str, *, table_key: bool) -> KeyAttribute:
        if isinstance(spec, (tuple, list)):
            raise self.fail(
                f"{role} is a tuple of fields {tuple(spec)!r}; multi-attribute keys are a GSI "
                "feature: declare a single field (or a KeyTemplate) here, and the tuple in "
                "GSI(...)"
            )
        if isinstance(spec, KeyTemplate):
            return self.template_key(spec, role, table_key=table_key)
        info = self.field_info(spec, role)
        annotation = info.annotation
        if table_key and is_optional(annotation):
            raise self.fail(f"{role} cannot be Optional: every item needs its table key", spec)
        kind = key_scalar_type(annotation)
        if kind is None:
            raise self.fail(
                f"{role} has type {_type_name(annotation)}, which DynamoDB cannot index; "
                "use str, int, Decimal, bytes, bool, datetime, date, UUID or a str/int Enum "
                "(floats have no exact key form: use Decimal)",
                spec,
            )
        return KeyAttribute(
            attribute=self.attributes[spec], type=kind, field=spec, is_bool=is_bool(annotation)
        )

    def template_key(self, template: KeyTemplate, role: str, *, table_key: bool) -> KeyAttribute:
        if not template.fields:
            raise self.fail(f"{role} template {template.pattern!r} names no field")
        if template.formatted:
            raise self.fail(
                f"{role} template {template.pattern!r} formats a field ({{x:05}}, {{x!r}}); "
                "key templates take plain {field} names"
            )
        self.check_template_separators(template, role)
        for name in template.fields:
            info = self.field_info(name, f"{role} template {template.pattern!r}")
            if key_scalar_type(info.annotation) in (None, "B"):
                raise self.fail(
                    f"is used in key template {template.pattern!r} but has type "
                    f"{_type_name(info.annotation)}, which has no text form for a template",
                    name,
                )
            clash = _separator_clash(info.annotation, template.separators)
            if clash:
                raise self.fail(
                    f"is used in key template {template.pattern!r}, whose separators "
                    f"({template.separators!r}) no value may contain, but {clash}; use "
                    "another separator in the template",
                    name,
                )
            if table_key and is_optional(info.annotation):
                raise self.fail(
                    f"is part of table key template {template.pattern!r} and cannot be Optional",
                    name,
                )
        return KeyAttribute(attribute=template.attribute, type="S", template=template)

    def check_template_separators(self, template: KeyTemplate, role: str) -> None:
        """Every two fields must be separated by literal text holding a separator (a character
        that is not a letter or a digit), or the key could not be read back unambiguously."""
        for position, text in enumerate(template.literals[1:-1], start=1):
            if any(not c.isalnum() for c in text):
                continue
            between = f"only {text!r}" if text else "nothing"
            raise self.fail(
                f"has {between} between it and field {template.fields[position]!r} in {role} "
                f"template {template.pattern!r}, so two different pairs of values could render "
                "the same key; separate the fields with punctuation, e.g. '#'",
                template.fields[position - 1],
            )

    def declarations(self, name: str, kind: str) -> tuple[object, ...]:
        """``Meta.gsis`` / ``Meta.lsis`` as a tuple; a lone declaration is refused clearly."""
        value = self.option(name, ()) or ()
        if not isinstance(value, (list, tuple)):
            raise self.fail(
                f"Meta.{name} must be a list of {kind}(...) declarations, e.g. "
                f"{name} = [{kind}(...)], got {value!r}"
            )
        return tuple(value)

    def gsi(self, gsi: object, pk: KeyAttribute, sk: KeyAttribute | None) -> IndexSchema:
        if not isinstance(gsi, GSI):
            raise self.fail(f"Meta.gsis must hold GSI(...) declarations, got {gsi!r}")
        gpks = self.index_keys(gsi.partition_key, f"GSI {gsi.name!r} partition_key")
        gsks = (
            self.index_keys(gsi.sort_key, f"GSI {gsi.name!r} sort_key")
            if gsi.sort_key is not None
            else ()
        )
        if not gpks:
            raise self.fail(f"GSI {gsi.name!r} partition_key names no field")
        seen: dict[str, str] = {}
        for role, keys in (("partition_key", gpks), ("sort_key", gsks)):
            for key in keys:
                if key.attribute in seen:
                    raise self.fail(
                        f"is named twice in the key of GSI {gsi.name!r} (in {seen[key.attribute]}"
                        f" and {role}); each key attribute may appear once",
                        key.field or key.attribute,
                    )
                seen[key.attribute] = role
        same_pk = [k.attribute for k in gpks] == [pk.attribute]
        same_sk = [k.attribute for k in gsks] == ([sk.attribute] if sk else [])
        if same_pk and same_sk:
            raise self.fail(
                f"GSI {gsi.name!r} has the same key as the table; it would only duplicate it",
                gpks[0].field,
            )
        return self.index(gsi.name, "GSI", gpks, gsks, gsi.projection, pk, sk)

    def index_keys(self, spec: object, role: str) -> tuple[KeyAttribute, ...]:
        """A GSI key: one field or template, or a tuple of up to four fields (a native
        multi-attribute key; each a plain field of a type DynamoDB can index, maybe Optional:
        an item missing any of them is left out of the index)."""
        if not isinstance(spec, (tuple, list)):
            return (self.key(spec, role, table_key=False),)  # type: ignore[arg-type]
        if not spec:
            raise self.fail(f"{role} is an empty tuple; name one to four fields")
        if len(spec) > MAX_KEY_ATTRIBUTES:
            raise self.fail(
                f"{role} has {len(spec)} attributes; DynamoDB allows at most "
                f"{MAX_KEY_ATTRIBUTES} in a multi-attribute key"
            )
        keys = []
        for name in spec:
            if isinstance(name, KeyTemplate):
                raise self.fail(
                    f"{role} holds KeyTemplate {name.pattern!r}; a multi-attribute key is made "
                    "of plain fields, each stored as its own attribute (use the template's "
                    "fields themselves, or the template alone)"
                )
            keys.append(self.key(name, f"{role} {tuple(spec)!r}", table_key=False))
        return tuple(keys)

    def lsi(self, lsi: object, pk: KeyAttribute, sk: KeyAttribute | None) -> IndexSchema:
        if not isinstance(lsi, LSI):
            raise self.fail(f"Meta.lsis must hold LSI(...) declarations, got {lsi!r}")
        if sk is None:
            raise self.fail(f"LSI {lsi.name!r} needs a table with a sort key")
        if isinstance(lsi.sort_key, (tuple, list)):
            raise self.fail(
                f"LSI {lsi.name!r} sort_key is a tuple of fields; DynamoDB's multi-attribute "
                "keys are for GSIs only: declare a GSI, or one field (or a KeyTemplate) here"
            )
        lsk = self.key(lsi.sort_key, f"LSI {lsi.name!r} sort_key", table_key=False)
        if lsk.attribute == sk.attribute:
            raise self.fail(f"LSI {lsi.name!r} uses the table's own sort key", lsk.field)
        return self.index(lsi.name, "LSI", (pk,), (lsk,), lsi.projection, pk, sk)

    def index(
        self,
        name: str,
        kind: Literal["GSI", "LSI"],
        ipks: tuple[KeyAttribute, ...],
        isks: tuple[KeyAttribute, ...],
        projection: Projection,
        pk: KeyAttribute,
        sk: KeyAttribute | None,
    ) -> IndexSchema:
        if not isinstance(name, str) or not 3 <= len(name) <= 255:
            raise self.fail(f"index name {name!r} must be a string of 3 to 255 characters")
        if not isinstance(projection, Projection):
            raise self.fail(f"index {name!r} projection must be ALL, KEYS_ONLY or INCLUDE(...)")
        projected: frozenset[str] | None = None
        if projection != ALL:
            keys = {k.attribute for k in (pk, sk, *ipks, *isks) if k is not None}
            for f in projection.fields:
                self.field_info(f, f"index {name!r} INCLUDE projection")
            projected = frozenset(keys | {self.attributes[f] for f in projection.fields})
        return IndexSchema(
            name, kind, ipks[0], isks[0] if isks else None, projection, projected, ipks, isks
        )

    def check_template_collisions(
        self, pk: KeyAttribute, sk: KeyAttribute | None, indexes: tuple[IndexSchema, ...]
    ) -> None:
        stored = set(self.attributes.values())
        templates: dict[str, str] = {}
        keys = [pk, sk] + [k for i in indexes for k in i.key_attributes]
        for key in keys:
            if key is None or key.template is None:
                continue
            pattern = key.template.pattern
            if key.attribute in stored:
                owner = next(f for f, a in self.attributes.items() if a == key.attribute)
                raise self.fail(
                    f"key template attribute {key.attribute!r} is also this field's stored name; "
                    "give the template its own attribute name",
                    owner,
                )
            if templates.setdefault(key.attribute, pattern) != pattern:
                raise self.fail(
                    f"attribute {key.attribute!r} is declared with two key templates "
                    f"({templates[key.attribute]!r} and {pattern!r})"
                )

    def special_field(self, option: str, check: Any, expected: str) -> str | None:
        name = self.option(option)
        if name is None:
            return None
        info = self.field_info(name, f"Meta.{option}")
        if not check(info.annotation):
            raise self.fail(
                f"Meta.{option} must be {expected}, not {_type_name(info.annotation)}", name
            )
        return str(name)

    def unique_fields(self, pk: KeyAttribute, sk: KeyAttribute | None) -> tuple[str, ...]:
        unique = self.option("unique", ()) or ()
        if isinstance(unique, str):
            raise self.fail("Meta.unique must be a tuple of field names, e.g. ('email',)")
        for name in unique:
            info = self.field_info(name, "Meta.unique")
            if name in (pk.field, sk.field if sk else None):
                raise self.fail("is a table key field; it is unique already", name)
            if key_scalar_type(info.annotation) is None:
                raise self.fail(
                    f"is declared unique but has type {_type_name(info.annotation)}, "
                    "which cannot be a guard item's key",
                    name,
                )
        return tuple(unique)

    def zone(self, name: object) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(
                f"Meta.naive_datetime_zone {name!r} is not an IANA time zone (e.g. 'UTC')"
            ) from exc

    def entity(self, pk: KeyAttribute, sk: KeyAttribute | None) -> dict[str, Any]:
        """``Meta.entity``: ``KeyPrefix()`` needs a table-key template with literal text,
        ``Discriminator(field)`` a field annotated with ``Literal`` values."""
        spec = self.option("entity")
        if spec is None:
            return {}
        if isinstance(spec, type) and spec in (KeyPrefix, Discriminator):
            raise self.fail(f"Meta.entity takes an instance: write {spec.__name__}(...)")
        if isinstance(spec, KeyPrefix):
            keys = [k for k in (pk, sk) if k is not None]
            if not any(k.template is not None and any(k.template.literals) for k in keys):
                raise self.fail(
                    "Meta.entity = KeyPrefix() tells items apart by the literal text of the "
                    "table-key templates, but no table key is a KeyTemplate with literal text; "
                    "declare e.g. sort_key = KeyTemplate('sk', 'ORDER#{order_id}'), or use "
                    "Meta.entity = Discriminator('<field>')"
                )
            return {"entity": spec}
        if not isinstance(spec, Discriminator):
            raise self.fail(
                f"Meta.entity must be KeyPrefix() or Discriminator('<field>'), got {spec!r}"
            )
        info = self.field_info(spec.field, "Meta.entity Discriminator")
        annotation = info.annotation
        values = get_args(annotation) if get_origin(annotation) is Literal else ()
        if not values or not all(isinstance(v, (str, int)) for v in values):
            raise self.fail(
                f"is the discriminator of Meta.entity but has type {_type_name(annotation)}; "
                f"annotate it with the values that identify this model, e.g. "
                f"{spec.field}: Literal['{self.name.lower()}'] = '{self.name.lower()}'",
                spec.field,
            )
        if any(k.field == spec.field for k in (pk, sk) if k is not None):
            raise self.fail("is a table key field; it cannot be the discriminator", spec.field)
        return {"entity": spec, "discriminator": (self.attributes[spec.field], tuple(values))}

    def stream_view_type(self) -> str | None:
        view_type = self.option("stream")
        if view_type is None:
            return None
        if view_type not in STREAM_VIEW_TYPES:
            raise self.fail(f"Meta.stream must be one of {', '.join(STREAM_VIEW_TYPES)} or None")
        return str(view_type)

    def owner(self) -> str | None:
        owner = self.option("owner")
        if owner is not None and (not isinstance(owner, str) or not owner.strip()):
            raise self.fail("Meta.owner must be the owning service's name (a non-empty string)")
        return owner

    def billing_mode(self) -> str:
        mode = self.option("billing_mode", "PAY_PER_REQUEST")
        if mode not in ("PAY_PER_REQUEST", "PROVISIONED"):
            raise self.fail("Meta.billing_mode must be 'PAY_PER_REQUEST' or 'PROVISIONED'")
        return str(mode)


_ALWAYS_PUNCTUATED: tuple[tuple[type, str, str], ...] = (
    (dt.datetime, "-:.", "a datetime always renders with '-', ':' and '.'"),
    (dt.date, "-", "a date always renders with '-'"),
    (uuid.UUID, "-", "a UUID always renders with '-'"),
)


def _separator_clash(annotation: Any, separators: str) -> str | None:
    """Why every value (or a declared value) of a template field contains a separator, if so."""
    if not separators:
        return None
    annotation = strip_optional(annotation)
    if get_origin(annotation) is Literal:
        texts = [_fixed_text(v) for v in get_args(annotation)]
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        texts = [_fixed_text(member.value) for member in annotation]
    else:
        for kind, punctuation, why in _ALWAYS_PUNCTUATED:
            if isinstance(annotation, type) and issubclass(annotation, kind):
                return why if set(punctuation) & set(separators) else None
        return None
    for text in texts:
        if any(c in text for c in separators):
            return f"its declared value {text!r} contains one"
    return None


def _fixed_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is None:  # list[str].__name__ would say just "list"
        name = getattr(annotation, "__name__", None)
        if name:
            return str(name)
    return repr(annotation).replace("typing.", "")
