"""A transaction's cancellation re-stated per action: model, key, current item, ddbwrap error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..codec import decode_value
from ..errors import CancellationReason, DdbwrapError, TransactionCanceledError
from ..model import DomainModel
from .requests import WriteAction, decode_quietly, explain_failure


@dataclass(frozen=True)
class ActionCancellationReason(CancellationReason):
    """A cancellation reason mapped back to the action it belongs to (``operation``, ``model``,
    ``table``, ``key``, ``action``: fields of ``CancellationReason``).

    ``item`` is the current item decoded as the action's model when DynamoDB returned it (the
    raw item if it does not validate); ``error`` the ddbwrap error this action's failure means.
    """

    model: type[DomainModel] | None = None
    action: WriteAction | None = None


def map_cancellation(
    actions: Sequence[WriteAction], exc: TransactionCanceledError
) -> TransactionCanceledError:
    """Re-state a gateway cancellation in terms of the actions that were sent."""
    reasons: list[ActionCancellationReason] = []
    failed: list[str] = []
    for reason in exc.reasons:
        action = actions[reason.index] if reason.index < len(actions) else None
        error: DdbwrapError | None = None
        item: Any = reason.item
        if action is not None:
            decoded = decode_quietly(action.model, reason.item) if not action.is_guard else None
            item = decoded if decoded is not None else reason.item
            if reason.code == "ConditionalCheckFailed":
                error = explain_failure(action, reason.item)
        reasons.append(
            ActionCancellationReason(
                index=reason.index,
                code=reason.code,
                message=reason.message,
                description=reason.description,
                item=item,
                operation=action.operation if action else "",
                model=action.model if action else None,
                table=action.table if action else "",
                key={k: decode_value(v) for k, v in action.key.items()} if action else None,
                action=action,
                error=error,
            )
        )
        if reason.code not in ("None", ""):
            what = action.describe() if action else "an unknown action"
            detail = error.message if error is not None else (reason.message or "")
            failed.append(f"action {reason.index} ({what}): {reason.code}: {detail}")
    summary = "; ".join(failed) or "no reason given"
    return TransactionCanceledError(
        f"the transaction was cancelled, nothing was written: {summary}. Inspect .reasons "
        "(.failed) for each action's model, key, current item and error",
        reasons,
    )
