"""How a policy check is asked for: the profiles and `CheckOptions`.

Apart from check.py so that the command line can name them without importing the
stages it may not run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

PROFILES = ("dev", "prod")
DEFAULT_PROFILE = "prod"
# No profile chosen and none enforced (compile's default): the rules are evaluated as in the
# strictest profile, and what they find is reported as warnings, except a rule that denies in
# every profile (what cannot work).
REPORT_ONLY = None


@dataclass(frozen=True)
class CheckOptions:
    """How to check: the profile chosen on the command line (None: each Kafka's
    kafkac.io/profile annotation, else the project file's `project_profile`, else
    `unchosen`: prod for `kafkac check`, REPORT_ONLY for `kafkac compile`), an OPA server
    to use instead of a local one, extra policy directories, and the day waivers are
    compared with (today when None)."""

    profile: str | None = None
    opa_url: str | None = None
    policy_dirs: tuple[str, ...] = ()
    today: datetime.date | None = None
    project_profile: str | None = None
    unchosen: str | None = DEFAULT_PROFILE
