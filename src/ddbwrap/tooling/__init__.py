"""Schema tooling: tables, exports, contract, hash and lock, drift and lint (the CLI's engine).

Everything the ``ddbwrap`` command does is a function here, usable from code and tests::

    from ddbwrap.tooling import discover_models, cloudformation_template, diff_tables
    models = discover_models("app.models")
"""

from ..errors import ContractFormatError, DiscoveryError, MissingDependencyError
from .attributes import StoredAttribute, dynamo_types, stored_attributes
from .cloudformation import CloudFormationOptions, cloudformation_template, render_cloudformation
from .contract import migration_contract
from .contract_check import check_contract, load_contract
from .discover import Discovered, discover, discover_models, is_table_model
from .drift import compare, diff_tables, fetch_live
from .drift_items import check_items, sample_items
from .findings import Finding, Severity, render_json, render_markdown, render_text
from .json_schema import json_schema_bundle, json_schema_document, stored_json_schema
from .lint import RULES, lint_models
from .lint_code import lint_paths
from .lock import check_lock, lock_document, read_lock, schema_hash, table_hashes, write_lock
from .spec import TableSpec, table_specs
from .tables import create_tables, delete_tables, describe_tables, ensure_tables
from .typescript import typescript_types

__all__ = [
    "RULES",
    "CloudFormationOptions",
    "ContractFormatError",
    "Discovered",
    "DiscoveryError",
    "Finding",
    "MissingDependencyError",
    "Severity",
    "StoredAttribute",
    "TableSpec",
    "check_contract",
    "check_items",
    "check_lock",
    "cloudformation_template",
    "compare",
    "create_tables",
    "delete_tables",
    "describe_tables",
    "diff_tables",
    "discover",
    "discover_models",
    "dynamo_types",
    "ensure_tables",
    "fetch_live",
    "is_table_model",
    "json_schema_bundle",
    "json_schema_document",
    "lint_models",
    "lint_paths",
    "load_contract",
    "lock_document",
    "migration_contract",
    "read_lock",
    "render_cloudformation",
    "render_json",
    "render_markdown",
    "render_text",
    "sample_items",
    "schema_hash",
    "stored_attributes",
    "stored_json_schema",
    "table_hashes",
    "table_specs",
    "typescript_types",
    "write_lock",
]
