"""What pp_api (the .NET API) stores, for the example and its tests to write "as .NET".

pp_api saves ``GoalDataModel`` with the AWS SDK for .NET's DynamoDBContext and
``DynamoDBEntryConversion.V2``: strings as S, numbers as N (a ``double`` in its shortest
round-trip text), ``DateTime`` as UTC ISO-8601 with milliseconds, ``List<string>`` as L, null
properties left out. Attributes of properties this service's model does not (yet) declare,
such as the seed's ``goal_type``, are stored like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ddbwrap import TableGateway

AttributeValue = dict[str, Any]


def dotnet_datetime(value: datetime) -> str:
    """``DateTime`` as the SDK for .NET stores it: ``yyyy-MM-ddTHH:mm:ss.fffZ`` in UTC."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def dotnet_goal_item(
    goal_id: str,
    tenant_id: str,
    *,
    title: str,
    intent: str,
    created_at: datetime,
    created_by: str = "pp_api",
    status: str = "active",
    progress: str = "0",
    tags: tuple[str, ...] = (),
    metadata: str = "{}",
    extra: Mapping[str, AttributeValue] | None = None,
) -> dict[str, AttributeValue]:
    """The raw item pp_api writes for a new goal (no ``version``: it does not maintain one)."""
    item: dict[str, AttributeValue] = {
        "goal_id": {"S": goal_id},
        "tenant_id": {"S": tenant_id},
        "title": {"S": title},
        "intent": {"S": intent},
        "status": {"S": status},
        "priority": {"S": "medium"},
        "time_horizon": {"S": "medium_term"},
        "progress_percentage": {"N": progress},
        "metadata": {"S": metadata},
        "created_at": {"S": dotnet_datetime(created_at)},
        "created_by": {"S": created_by},
    }
    if tags:
        item["tags"] = {"L": [{"S": tag} for tag in tags]}
    item.update(extra or {})
    return item


def put_as_dotnet(gateway: TableGateway, item: Mapping[str, AttributeValue]) -> None:
    """Store ``item`` in the goals table with a plain PutItem, as pp_api would."""
    gateway.put_item({"TableName": "goals", "Item": dict(item)})


def raw_goal(gateway: TableGateway, goal_id: str) -> dict[str, AttributeValue]:
    """The goal's item as stored (every attribute, including those no model declares)."""
    response = gateway.get_item({"TableName": "goals", "Key": {"goal_id": {"S": goal_id}}})
    item: dict[str, AttributeValue] = response["Item"]
    return item
