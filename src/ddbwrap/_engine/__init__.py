"""The engine behind every DynamoDB call (internal: import the public names from ``ddbwrap``).

- ``steps``: what a flow asks its driver for (``Call``, ``Sleep``, ``Emit``);
- ``flows``: multi-call behaviours written once as generators (retries, paging, batches);
- ``drive``: the sync driver (the async one lives in ``ddbwrap.aio``);
- ``faults``: the failed attempts a transport reports, and whether they may have been applied;
- ``translate``: botocore errors to ddbwrap errors;
- ``observe``: the log line and OpenTelemetry span of every attempt;
- ``gc_pause``: the garbage collector paused while large answers are parsed and decoded;
- ``botocore``: the transport over a boto3 client;
- ``direct``: the default transport (data-plane calls without botocore), built on ``wire``
  (requests and answers, pure) and ``sigv4`` (signing).
"""
