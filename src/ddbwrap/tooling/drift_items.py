"""Drift in the data: check a bounded sample of a table's items against its models.

Each sampled item is checked against every model stored in the table; it is judged by the model
it fits best. Findings are aggregated per attribute (with a count and a few example keys), not
reported per item: unknown attributes (LOW), attributes of another type (HIGH), required
attributes missing (HIGH), and values the model would reject on read (HIGH).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ddbwrap.codec import codec_for
from ddbwrap.errors import CorruptItemError
from ddbwrap.gateway import TableGateway
from ddbwrap.model import schema_of

from .attributes import ANY, StoredAttribute, stored_attributes
from .findings import Finding, Severity

Progress = Callable[[str], None]
Item = Mapping[str, Mapping[str, Any]]
PAGE_LIMIT = 100
EXAMPLES = 3


@dataclass
class _Tally:
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, key: dict[str, Any], seen: str = "") -> None:
        self.count += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(key)
        if seen:
            self.seen.add(seen)


def sample_items(gateway: TableGateway, table: str, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` raw items of a logical table, read with Scan pages of at most 100."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table}
    while len(items) < limit:
        request["Limit"] = min(PAGE_LIMIT, limit - len(items))
        page = gateway.scan(request)
        items.extend(page.get("Items", ()))
        last = page.get("LastEvaluatedKey")
        if not last:
            break
        request["ExclusiveStartKey"] = last
    return items[:limit]


def sample_findings(
    gateway: TableGateway,
    table: str,
    models: Sequence[type[BaseModel]],
    sample: int,
    progress: Progress | None = None,
) -> list[Finding]:
    """Findings for up to ``sample`` items of ``table``, judged by ``models`` (its models)."""
    if progress:
        progress(f"sampling up to {sample} items of {table}")
    items = sample_items(gateway, table, sample)
    return check_items(table, models, items)


def check_items(
    table: str, models: Sequence[type[BaseModel]], items: Sequence[Item]
) -> list[Finding]:
    """Aggregate findings for raw ``items`` of ``table`` stored by ``models``."""
    plans = {model: stored_attributes(model) for model in models}
    known = {a.name for attributes in plans.values() for a in attributes}
    tallies: dict[tuple[str, str, str], _Tally] = {}
    for item in items:
        problems = min(
            ((model, _problems(model, plans[model], item)) for model in models),
            key=lambda pair: len(pair[1]),
        )
        model, found = problems
        key = codec_for(model).key_values(item)
        for code, subject, seen in found:
            tallies.setdefault((code, model.__name__, subject), _Tally()).add(key, seen)
        for name in sorted(set(item) - known):
            tallies.setdefault(("DDB301", "", name), _Tally()).add(key, next(iter(item[name])))
    return [
        _finding(table, code, model, subject, tally, len(items), plans)
        for (code, model, subject), tally in tallies.items()
    ]


def _problems(
    model: type[BaseModel], attributes: Sequence[StoredAttribute], item: Item
) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for attribute in attributes:
        value = item.get(attribute.name)
        if value is None:
            if attribute.required:
                found.append(("DDB303", attribute.name, ""))
            continue
        tag = next(iter(value), "")
        if ANY not in attribute.types and tag not in attribute.types:
            found.append(("DDB302", attribute.name, tag))
    reported = {subject for _, subject, _ in found}
    try:
        codec_for(model).decode(item)
    except CorruptItemError as exc:
        for error in exc.errors:
            loc = [str(p) for p in error.get("loc", ())]
            subject = _attribute_of(model, loc[0]) if loc else "(item)"
            if subject not in reported:
                found.append(("DDB304", subject, str(error.get("msg", ""))))
                reported.add(subject)
    return found


def _attribute_of(model: type[BaseModel], loc: str) -> str:
    return schema_of(model).field_attributes.get(loc, loc)


def _finding(
    table: str,
    code: str,
    model: str,
    subject: str,
    tally: _Tally,
    total: int,
    plans: Mapping[type[BaseModel], Sequence[StoredAttribute]],
) -> Finding:
    share = f"{tally.count} of {total} sampled item{'s' if total != 1 else ''}"
    seen = ", ".join(sorted(tally.seen))
    details = {"count": tally.count, "sampled": total, "example_keys": tally.examples}
    if code == "DDB301":
        severity = Severity.LOW
        problem = f"attribute {subject!r} ({seen}) is in {share} but no model declares it"
        fix = "declare a field for it if ddbwrap code needs it; ddbwrap keeps unknown attributes"
    elif code == "DDB302":
        severity = Severity.HIGH
        expected = _expected(plans, model, subject)
        problem = f"attribute {subject!r} is stored as {seen} in {share}; {model} stores {expected}"
        fix = f"fix the writer of those items, or widen {model}'s field type"
    elif code == "DDB303":
        severity = Severity.HIGH
        problem = f"required attribute {subject!r} is missing from {share}"
        fix = f"give {model}'s field a default (or make it Optional), or backfill the items"
    else:
        severity = Severity.HIGH
        problem = f"{model} rejects attribute {subject!r} in {share}: {seen}"
        fix = "reading those items raises CorruptItemError: fix the items, or relax the model"
    return Finding(
        severity,
        code,
        problem,
        fix,
        table=table,
        model=model or None,  # DDB301: no model declares the attribute
        subject=subject,
        details=details,
    )


def _expected(
    plans: Mapping[type[BaseModel], Sequence[StoredAttribute]], model: str, subject: str
) -> str:
    for cls, attributes in plans.items():
        if cls.__name__ == model:
            for attribute in attributes:
                if attribute.name == subject:
                    return " or ".join(attribute.types)
    return "?"
