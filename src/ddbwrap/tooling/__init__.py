"""Schema tooling: tables, exports, contract, hash and lock, drift and lint (the CLI's engine).

Everything the ``ddbwrap`` command does is a function here, usable from code and tests::

    from ddbwrap.tooling import discover_models, cloudformation_template, diff_tables
    models = discover_models("app.models")
"""

from ..errors import ContractFormatError, DiscoveryError, MissingDependencyError
from .attributes import StoredAttribute, dynamo_types, stored_attributes
from .ci import WorkflowSettings, github_workflow
from .cloudformation import CloudFormationOptions, cloudformation_template, render_cloudformation
from .contract import contract_structure_findings, migration_contract
from .contract_check import check_contract, load_contract
from .discover import Discovered, discover, discover_models, is_table_model
from .drift import compare, diff_tables, fetch_live
from .drift_items import check_items, sample_items
from .findings import Finding, Severity, render_json, render_markdown, render_text
from .importer import check_round_trip, generate_module, import_cloudformation, import_live
from .json_schema import json_schema_bundle, json_schema_document, stored_json_schema
from .lint import RULES, cross_service_warnings, lint_models
from .lint_code import lint_paths
from .lock import (
    check_lock,
    lock_document,
    lock_history,
    read_lock,
    restore_lock,
    schema_hash,
    table_hashes,
    write_lock,
)
from .migrate import Backfill, BackfillReport, backfill
from .spec import TableSpec, table_specs
from .tables import create_tables, delete_tables, describe_tables, ensure_tables, wait_for_table
from .typescript import typescript_types

__all__ = [
    "RULES",
    "Backfill",
    "BackfillReport",
    "CloudFormationOptions",
    "ContractFormatError",
    "Discovered",
    "DiscoveryError",
    "Finding",
    "MissingDependencyError",
    "Severity",
    "StoredAttribute",
    "TableSpec",
    "WorkflowSettings",
    "backfill",
    "check_contract",
    "check_items",
    "check_lock",
    "check_round_trip",
    "cloudformation_template",
    "compare",
    "contract_structure_findings",
    "create_tables",
    "cross_service_warnings",
    "delete_tables",
    "describe_tables",
    "diff_tables",
    "discover",
    "discover_models",
    "dynamo_types",
    "ensure_tables",
    "fetch_live",
    "generate_module",
    "github_workflow",
    "import_cloudformation",
    "import_live",
    "is_table_model",
    "json_schema_bundle",
    "json_schema_document",
    "lint_models",
    "lint_paths",
    "load_contract",
    "lock_document",
    "lock_history",
    "migration_contract",
    "read_lock",
    "render_cloudformation",
    "render_json",
    "render_markdown",
    "render_text",
    "restore_lock",
    "sample_items",
    "schema_hash",
    "stored_attributes",
    "stored_json_schema",
    "table_hashes",
    "table_specs",
    "typescript_types",
    "wait_for_table",
    "write_lock",
]
