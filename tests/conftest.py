"""Suite-wide settings: hypothesis profiles.

- ``ddbwrap`` (default): 100 examples per property, no deadline (the suite shares slow CI
  machines; a per-example deadline would only make it flaky).
- ``ddbwrap-quick``: 20 examples, for a fast local loop.
- ``ddbwrap-thorough``: 1,000 examples, for a nightly run or after touching the codec.

Pick one with ``pytest --hypothesis-profile=ddbwrap-thorough`` or ``$DDBWRAP_HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ddbwrap", max_examples=100, deadline=None)
settings.register_profile("ddbwrap-quick", max_examples=20, deadline=None)
settings.register_profile("ddbwrap-thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("DDBWRAP_HYPOTHESIS_PROFILE", "ddbwrap"))
