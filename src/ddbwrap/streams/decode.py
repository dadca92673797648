"""``StreamDecoder``: stream records of any delivery shape into typed ``Change`` objects.

Models are registered by their logical table; the table of a record comes from its
``eventSourceARN`` (or Kinesis ``tableName``, or the stream a poller reads), made logical with
the gateway's prefix and suffix. Images are decoded through the model's ``ItemCodec``, the very
decoder reads use. Records of unique-constraint guard tables and of tables or entities that are
not registered are skipped and counted; a record that cannot be decoded becomes a
``StreamRecordError`` for that record alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar, cast

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from ..codec import ItemCodec, codec_for, decode_value
from ..entities import check_distinguishable, resolver
from ..errors import CorruptItemError, DdbwrapError, ModelDefinitionError, ValidationError
from ..gateway import TableGateway
from ..keys import domain_field_validator
from ..meta import KeyTemplate
from ..model import DomainModel, schema_of
from ..read.view import View, view_attributes
from ..schema import KeyAttribute, TableSchema
from .change import Change
from .errors import StreamRecordError
from .records import Image, RawRecord, read_record, records_of

M = TypeVar("M", bound=BaseModel)

Discriminator = Callable[[Image], "type[BaseModel] | None"]
"""Picks the model of a record on a table shared by several models, from its raw image (the new
image, else the old one, else the keys): a registered model or view, or None to skip it."""

SkipReason = Literal["guard", "unregistered"]
_NEW = object.__new__


class Decoded(NamedTuple):
    """The outcome of one record: a change, a skip (and why) or an error; ``table`` is the
    physical table name the record names (None when it names none)."""

    sequence_number: str | None
    shard: str
    table: str | None = None
    change: Change[Any] | None = None
    error: StreamRecordError | None = None
    skipped: SkipReason | None = None


@dataclass(frozen=True)
class DecodeReport:
    """Counts of one decoded batch: every record is exactly one of ``changes``,
    ``guard_items``, ``unregistered`` or ``malformed``."""

    records: int = 0
    changes: int = 0
    guard_items: int = 0
    """Records of unique-constraint guard items (``Meta.unique``): bookkeeping, not changes."""
    unregistered: int = 0
    """Records of tables (or, on a shared table, entities) no model is registered for."""
    malformed: int = 0
    unregistered_tables: Mapping[str, int] = field(default_factory=dict)
    """Physical table name -> records skipped as unregistered."""


@dataclass(frozen=True)
class DecodedBatch:
    """Every record's outcome, in record order, and the counts."""

    results: tuple[Decoded, ...]
    report: DecodeReport

    @property
    def changes(self) -> list[Change[Any]]:
        return [r.change for r in self.results if r.change is not None]

    @property
    def errors(self) -> list[StreamRecordError]:
        return [r.error for r in self.results if r.error is not None]

    def of(self, model: type[M]) -> list[Change[M]]:
        """The changes of one registered model (or view), typed."""
        return [r.change for r in self.results if r.change is not None and r.change.model is model]


class _Target:
    """How records of one registered model (or view) are decoded."""

    def __init__(self, registered: type[BaseModel]) -> None:
        domain = _domain_of(registered)
        self.registered = registered
        self.domain = domain
        self.codec: ItemCodec[Any] = codec_for(domain)
        self.schema: TableSchema = self.codec.schema
        key_fields = self.schema.key_fields
        self.key_fields = key_fields
        self.keys_from_instance = all(f in registered.model_fields for f in key_fields)
        self.decode: Callable[[Image], Any]
        if registered is domain:
            self.decode = self.codec.decoder()
        else:
            codec, fields = self.codec, view_attributes(cast("type[View[Any]]", registered))
            defaults = cast("type[View[Any]]", registered).__ddb_defaults__

            def decode_view(image: Image) -> Any:
                return codec.decode_fields(registered, image, fields, defaults)

            self.decode = decode_view
        self.key_parsers = tuple(_key_parser(domain, key) for key in self.schema.key_attributes)


class _Table:
    def __init__(self, name: str) -> None:
        self.name = name
        self.targets: dict[type[BaseModel], _Target] = {}
        """Domain model -> its target."""
        self.discriminator: Discriminator | None = None
        self.by_entity: tuple[int, Callable[[Image], _Target | None] | None] = (0, None)
        """The default discriminator of models that declare ``Meta.entity`` (cached per
        number of targets): see :func:`_entity_target`."""


def _entity_target(table: _Table) -> Callable[[Image], _Target | None] | None:
    """When every model registered for ``table`` declares ``Meta.entity`` and they can be told
    apart (``ddbwrap.entities``), a function picking a record's target from its image (None for
    an item of none of them); else None (the table needs an explicit discriminator)."""
    count, chosen = table.by_entity
    if count == len(table.targets):
        return chosen
    targets = list(table.targets.values())
    schemas = [t.schema for t in targets]
    chosen = None
    if all(schema.entity is not None for schema in schemas):
        try:
            check_distinguishable(schemas)
        except ModelDefinitionError:
            pass
        else:
            which = resolver(schemas)

            def pick(image: Image) -> _Target | None:
                position = which(image)
                return targets[position] if position >= 0 else None

            chosen = pick
    table.by_entity = (len(table.targets), chosen)
    return chosen


class StreamDecoder:
    """Decodes stream records of registered models into ``Change`` objects.

    ``StreamDecoder(gateway)`` takes the gateway's table prefix and suffix (physical table
    names in records are made logical with them); ``table_prefix``/``table_suffix`` do the same
    without a gateway.
    """

    def __init__(
        self,
        gateway: TableGateway | None = None,
        *,
        table_prefix: str | None = None,
        table_suffix: str | None = None,
    ) -> None:
        prefix = table_prefix if table_prefix is not None else ""
        suffix = table_suffix if table_suffix is not None else ""
        if gateway is not None:
            prefix = gateway.table_prefix if table_prefix is None else prefix
            suffix = gateway.table_suffix if table_suffix is None else suffix
        self._prefix = prefix
        self._suffix = suffix
        self._tables: dict[str, _Table] = {}
        self._guard_tables: set[str] = set()
        self._registered: dict[type[BaseModel], _Target] = {}
        self._logical: dict[str, str] = {}
        """Physical table name -> logical one ("" when it lacks the prefix/suffix)."""

    # -- registration ------------------------------------------------------------------------

    def register(
        self, model: type[BaseModel], *, discriminator: Discriminator | None = None
    ) -> None:
        """Decode the records of ``model``'s table as ``model`` (a DomainModel, or a
        ``View[Domain]`` to decode images as that view). One registration per domain model;
        registering the same class again is a no-op. ``discriminator`` sets the table's
        discriminator (needed once several models share the table)."""
        if model in self._registered:
            if discriminator is not None:
                self.discriminate(self._registered[model].schema.table_name, discriminator)
            return
        target = _Target(model)
        table = self._tables.setdefault(target.schema.table_name, _Table(target.schema.table_name))
        other = table.targets.get(target.domain)
        if other is not None:
            raise ValidationError(
                f"{target.domain.__name__} is registered already (as "
                f"{other.registered.__name__}); a domain model's records decode as one class: "
                "register the model or one of its views, not both",
                model=model.__name__,
            )
        table.targets[target.domain] = target
        self._registered[model] = target
        if target.schema.unique_table:
            self._guard_tables.add(target.schema.unique_table)
        if discriminator is not None:
            table.discriminator = discriminator

    def discriminate(self, table: str, discriminator: Discriminator) -> None:
        """Set the discriminator of a logical table shared by several registered models."""
        entry = self._tables.get(table)
        if entry is None:
            raise ValidationError(
                f"no registered model uses table {table!r}; register its models first"
            )
        entry.discriminator = discriminator

    @property
    def models(self) -> tuple[type[BaseModel], ...]:
        """The registered models and views, in registration order."""
        return tuple(self._registered)

    def logical_table_name(self, physical: str) -> str | None:
        """The logical name of a physical table, or None when it lacks the prefix/suffix."""
        prefix, suffix = self._prefix, self._suffix
        if len(physical) <= len(prefix) + len(suffix):
            return None
        if not (physical.startswith(prefix) and physical.endswith(suffix)):
            return None
        return physical[len(prefix) : len(physical) - len(suffix)]

    # -- decoding ----------------------------------------------------------------------------

    def decode(
        self, event: object, *, stream_arn: str | None = None, shard: str | None = None
    ) -> DecodedBatch:
        """Decode every record of a Lambda event, a Kinesis event, a GetRecords response or a
        list of records. GetRecords records name no table: pass the ``stream_arn`` they were
        read from (the poller does). Never raises for a single record."""
        results = [
            self.decode_record(record, stream_arn=stream_arn, shard=shard)
            for record in records_of(event)
        ]
        return DecodedBatch(tuple(results), _report(results))

    def decode_record(
        self, record: object, *, stream_arn: str | None = None, shard: str | None = None
    ) -> Decoded:
        """One record's outcome (a change, a skip or an error); never raises for the record."""
        try:
            raw = read_record(record, stream_arn=stream_arn, shard=shard)
        except StreamRecordError as error:
            return Decoded(error.sequence_number, shard or stream_arn or "", error=error)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            malformed = StreamRecordError(f"the record is malformed ({type(exc).__name__})")
            return Decoded(None, shard or stream_arn or "", error=malformed)
        try:
            return self._decode(raw)
        except StreamRecordError as error:
            return Decoded(raw.sequence_number, raw.shard, raw.physical_table, error=error)
        except ValidationError:
            raise  # the decoder's configuration, not the record: fails loudly
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            malformed = StreamRecordError(
                f"the record is malformed ({type(exc).__name__})",
                sequence_number=raw.sequence_number,
                table=raw.physical_table,
            )
            return Decoded(raw.sequence_number, raw.shard, raw.physical_table, error=malformed)

    def _decode(self, raw: RawRecord) -> Decoded:
        physical = raw.physical_table
        if physical is None:
            raise StreamRecordError(
                "the record names no table (a GetRecords record): pass the stream_arn it was "
                "read from",
                sequence_number=raw.sequence_number,
            )
        logical = self._logical.get(physical)
        if logical is None:
            logical = self._logical[physical] = self.logical_table_name(physical) or ""
        table = self._tables.get(logical)
        if table is None:
            reason: SkipReason = "guard" if logical in self._guard_tables else "unregistered"
            return Decoded(raw.sequence_number, raw.shard, physical, skipped=reason)
        target = self._target(table, raw)
        if target is None:
            return Decoded(raw.sequence_number, raw.shard, physical, skipped="unregistered")
        new = self._image(target, raw, raw.new_image, "new") if raw.new_image else None
        old = self._image(target, raw, raw.old_image, "old") if raw.old_image else None
        instance = new if new is not None else old
        if instance is not None and target.keys_from_instance:
            values = instance.__dict__
            keys = {name: values[name] for name in target.key_fields}
        else:
            keys = self._keys(target, raw)
        # Change(...) without the frozen dataclass's __init__ (a setattr per field): the same
        # object, built once per record on the hot path.
        change: Change[Any] = _NEW(Change)
        change.__dict__.update(
            {
                "kind": raw.kind,
                "model": target.registered,
                "table": logical,
                "keys": keys,
                "old": old,
                "new": new,
                "sequence_number": raw.sequence_number,
                "approximate_creation_time": raw.created,
                "by_ttl": raw.by_ttl,
                "event_id": raw.event_id,
                "shard": raw.shard,
                "stream_arn": raw.stream_arn,
            }
        )
        return Decoded(raw.sequence_number, raw.shard, physical, change=change)

    def _target(self, table: _Table, raw: RawRecord) -> _Target | None:
        targets = table.targets
        if table.discriminator is None:
            if len(targets) == 1:
                return next(iter(targets.values()))
            by_entity = _entity_target(table)
            if by_entity is not None:
                return by_entity(raw.new_image or raw.old_image or raw.keys)
            names = ", ".join(t.registered.__name__ for t in targets.values())
            raise ValidationError(
                f"table {table.name!r} holds several registered models ({names}); give it a "
                "discriminator (decoder.discriminate(table, fn) or register(..., "
                "discriminator=fn)) that tells them apart from a raw image"
            )
        image = raw.new_image or raw.old_image or raw.keys
        try:
            chosen = table.discriminator(image)
        except Exception as exc:
            raise StreamRecordError(
                f"the discriminator of table {table.name!r} raised {type(exc).__name__}",
                sequence_number=raw.sequence_number,
                table=table.name,
            ) from None
        if chosen is None:
            return None
        target = self._registered.get(chosen)
        if target is None and isinstance(chosen, type):
            target = targets.get(chosen)
        if target is None or target.schema.table_name != table.name:
            raise StreamRecordError(
                f"the discriminator of table {table.name!r} returned "
                f"{getattr(chosen, '__name__', repr(chosen))}, which is not registered for it",
                sequence_number=raw.sequence_number,
                table=table.name,
            )
        return target

    def _image(self, target: _Target, raw: RawRecord, image: Image, which: str) -> Any:
        try:
            return target.decode(image)
        except CorruptItemError as exc:
            attribute_fields = target.schema.attribute_fields
            fields: list[str] = []
            errors: list[dict[str, Any]] = []
            for error in exc.errors:
                loc = tuple(error.get("loc") or ())
                if loc:
                    first = str(loc[0])
                    name = attribute_fields.get(first, first)
                    if name not in fields:
                        fields.append(name)
                errors.append({"loc": loc, "type": error.get("type"), "msg": error.get("msg")})
            raise StreamRecordError(
                f"its {which} image does not match the model: "
                + "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors),
                sequence_number=raw.sequence_number,
                table=target.schema.table_name,
                model=target.registered.__name__,
                fields=fields,
                errors=errors,
            ) from None
        except (DdbwrapError, KeyError, TypeError, ValueError, AttributeError):
            bad = _bad_attribute(target, image)
            raise StreamRecordError(
                f"its {which} image holds a malformed attribute value",
                sequence_number=raw.sequence_number,
                table=target.schema.table_name,
                model=target.registered.__name__,
                fields=[bad] if bad else [],
            ) from None

    def _keys(self, target: _Target, raw: RawRecord) -> dict[str, Any]:
        keys: dict[str, Any] = {}
        for parse in target.key_parsers:
            try:
                keys.update(parse(raw.keys))
            except _KeyProblemError as problem:
                raise StreamRecordError(
                    f"its keys do not match the model: {problem.why}",
                    sequence_number=raw.sequence_number,
                    table=target.schema.table_name,
                    model=target.registered.__name__,
                    fields=[problem.field],
                ) from None
        return keys


def _domain_of(model: type[BaseModel]) -> type[DomainModel]:
    if isinstance(model, type) and issubclass(model, DomainModel):
        schema_of(model)
        return model
    domain = getattr(model, "__ddb_domain__", None)
    if isinstance(model, type) and issubclass(model, View) and domain is not None:
        return cast("type[DomainModel]", domain)
    raise ModelDefinitionError(
        getattr(model, "__name__", repr(model)),
        "cannot be registered for stream records: register a DomainModel with a Meta, or a "
        "View[Model] of one",
    )


class _KeyProblemError(Exception):
    def __init__(self, field: str, why: str) -> None:
        super().__init__(why)
        self.field = field
        self.why = why


def _key_parser(model: type[DomainModel], key: KeyAttribute) -> Callable[[Image], dict[str, Any]]:
    """A function reading one key attribute of a record's ``Keys`` back into field values."""
    attribute = key.attribute
    template = key.template
    if template is None:
        assert key.field is not None
        name = key.field
        validate = domain_field_validator(model, name)
        is_bool = key.is_bool

        def plain(keys: Image) -> dict[str, Any]:
            av = keys.get(attribute)
            if av is None:
                raise _KeyProblemError(name, f"key attribute {attribute!r} is missing")
            try:
                value = decode_value(av)
                if is_bool and isinstance(value, str):
                    value = {"true": True, "false": False}.get(value, value)
                return {name: validate(value)}
            except (PydanticValidationError, DdbwrapError, KeyError, TypeError, ValueError):
                raise _KeyProblemError(name, f"key attribute {attribute!r} is not valid") from None

        return plain
    pattern = _template_pattern(template)
    names = template.fields
    validators = [domain_field_validator(model, n) for n in names]

    def templated(keys: Image) -> dict[str, Any]:
        av = keys.get(attribute)
        text = av.get("S") if isinstance(av, Mapping) else None
        if not isinstance(text, str):
            raise _KeyProblemError(names[0], f"key attribute {attribute!r} is missing or not text")
        match = pattern.fullmatch(text)
        if match is None:
            raise _KeyProblemError(
                names[0], f"key attribute {attribute!r} is not a key of {template.pattern!r}"
            )
        values: dict[str, Any] = {}
        for name, validate, part in zip(names, validators, match.groups(), strict=True):
            try:
                values[name] = validate(part)
            except PydanticValidationError:
                raise _KeyProblemError(
                    name, f"its part of key attribute {attribute!r} is not valid"
                ) from None
        return values

    return templated


def _template_pattern(template: KeyTemplate) -> re.Pattern[str]:
    """A regex with one group per field: values never contain the separators."""
    separators = template.separators
    value = f"([^{re.escape(separators)}]+)" if separators else "(.+)"
    literals = template.literals
    return re.compile(
        re.escape(literals[0]) + "".join(value + re.escape(lit) for lit in literals[1:]),
        re.DOTALL,
    )


def _bad_attribute(target: _Target, image: Image) -> str | None:
    """The field (or attribute) of the first attribute value that does not decode."""
    for attribute, av in image.items():
        try:
            if not isinstance(av, Mapping) or len(av) != 1:
                raise ValueError
            decode_value(av)
        except Exception:
            return target.schema.attribute_fields.get(attribute, attribute)
    return None


def _report(results: Sequence[Decoded]) -> DecodeReport:
    changes = guards = unregistered = malformed = 0
    for result in results:
        if result.change is not None:
            changes += 1
        elif result.error is not None:
            malformed += 1
        elif result.skipped == "guard":
            guards += 1
        else:
            unregistered += 1
    tables: dict[str, int] = {}
    if unregistered:
        for result in results:
            if result.skipped == "unregistered":
                table = result.table or ""
                tables[table] = tables.get(table, 0) + 1
    return DecodeReport(
        records=len(results),
        changes=changes,
        guard_items=guards,
        unregistered=unregistered,
        malformed=malformed,
        unregistered_tables=tables,
    )


__all__ = [
    "DecodeReport",
    "Decoded",
    "DecodedBatch",
    "Discriminator",
    "StreamDecoder",
]
