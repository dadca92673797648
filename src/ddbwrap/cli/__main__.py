"""``python -m ddbwrap.cli``: the same as the ``ddbwrap`` console command."""

import sys

from . import main

sys.exit(main())
