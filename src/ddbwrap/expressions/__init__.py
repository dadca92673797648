"""Layer 3: condition, key-condition, update and projection expression builders.

Every attribute name goes through a ``#n`` placeholder and every value through a ``:v``
placeholder; no user string is ever pasted into an expression. Builders are model-free until
compiled against a model, which is when paths are resolved (aliases at every level) and values
encoded the way the codec stores them::

    from ddbwrap.expressions import Attr, Update, Placeholders

    cond = (Attr("status") == "active") & (Attr("settings.retries") > 3)
    cond.params(PipelineConfig)
    # {"ConditionExpression": "#n0 = :v0 AND #n1.#n2 > :v1",
    #  "ExpressionAttributeNames": {"#n0": "status", "#n1": "settings", "#n2": "retries"},
    #  "ExpressionAttributeValues": {":v0": {"S": "active"}, ":v1": {"N": "3"}}}

    Update().set("name", "x").increment("runs").params(PipelineConfig)
"""

from .conditions import OPERATORS, And, Attr, Comparison, Condition, Not, Or, Size, all_of, any_of
from .keys import (
    SORT_OPERATORS,
    SortCondition,
    begins_with,
    between,
    build_key_condition,
    eq,
    ge,
    gt,
    le,
    lt,
)
from .paths import Path, ResolvedPath, parse_path, resolve
from .placeholders import Placeholders
from .projection import ProjectionExpression, projection
from .updates import UPDATE_OPERATORS, Update

__all__ = [
    "OPERATORS",
    "SORT_OPERATORS",
    "UPDATE_OPERATORS",
    "And",
    "Attr",
    "Comparison",
    "Condition",
    "Not",
    "Or",
    "Path",
    "Placeholders",
    "ProjectionExpression",
    "ResolvedPath",
    "Size",
    "SortCondition",
    "Update",
    "all_of",
    "any_of",
    "begins_with",
    "between",
    "build_key_condition",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "parse_path",
    "projection",
    "resolve",
]
