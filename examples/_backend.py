"""The backend choice every runnable example shares: an embedded in-process DynamoDB (moto) by
default, ``--endpoint-url URL`` for DynamoDB Local (or any endpoint), ``--endpoint-url aws``
for AWS from the environment (``$DDBWRAP_DEMO_ENDPOINT`` gives the default).

    def main(argv: list[str] | None = None) -> int:
        return run_with_backend(run, argv, description=__doc__)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

import boto3

from ddbwrap import TableGateway

ENDPOINT_ENV = "DDBWRAP_DEMO_ENDPOINT"
LABEL_WIDTH = 14
"""Width of the label column of the examples' output (``backend       ...``)."""


def gateway_for(endpoint_url: str | None, *, prefix: str = "demo") -> TableGateway:
    """A gateway on ``endpoint_url`` (None: the default endpoint, e.g. inside ``mock_aws``;
    ``"aws"``: :meth:`TableGateway.from_environment`).

    On an explicit endpoint the table names get a ``<prefix>-<pid>-`` prefix, so a run never
    meets the tables of another run (or of your application) on a shared DynamoDB Local.
    """
    if endpoint_url == "aws":
        return TableGateway.from_environment()
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "demo"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "demo"),
    )
    return TableGateway(client, table_prefix=f"{prefix}-{os.getpid()}-" if endpoint_url else "")


def run_with_backend(
    run: Callable[[TableGateway], object],
    argv: Sequence[str] | None = None,
    *,
    description: str | None = None,
    prefix: str = "demo",
) -> int:
    """Parse ``--endpoint-url``, build the gateway and call ``run(gateway)``; the exit code."""
    parser = argparse.ArgumentParser(
        description=description.split("\n\n")[0] if description else None
    )
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get(ENDPOINT_ENV),
        help="DynamoDB endpoint (e.g. DynamoDB Local), or 'aws' to use the environment; "
        "default: an embedded in-process DynamoDB (moto)",
    )
    args = parser.parse_args(argv)
    if args.endpoint_url:
        print(f"{'backend':<{LABEL_WIDTH}}{args.endpoint_url}")
        run(gateway_for(args.endpoint_url, prefix=prefix))
        return 0
    try:
        from moto import mock_aws
    except ImportError:
        print("the embedded backend needs moto: pip install 'ddbwrap[demo]'", file=sys.stderr)
        return 2
    with mock_aws():
        print(f"{'backend':<{LABEL_WIDTH}}embedded in-process DynamoDB (moto)")
        run(gateway_for(None, prefix=prefix))
    return 0
