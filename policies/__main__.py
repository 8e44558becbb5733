"""Entry point the Pulumi CLI runs for `--policy-pack policies`: build the pack from `rules`, nothing else.

PolicyPack() starts the analyzer's gRPC server and blocks, so no policy lives here. The CLI runs this file with
the pack folder as working directory; `rules` is imported from next to this file, not from the repository root.
"""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402
from rules import PACK_DESCRIPTION, PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    description=PACK_DESCRIPTION,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,  # only for a policy without its own level; every rule sets one
)
