"""The lattice-tenancy CrossGuard policy pack.

    pulumi preview -s owner --policy-pack policies          # the real engine (runs policies/__main__.py)
    python -m tooling.policy_check                              # every stack in this repository, offline
    python -m tooling.readme                              # the guardrail table for the README

`rules/` holds the policies (importable as `policies.rules` and, inside the pack, as `rules`); `evaluation` runs
them in-process the way the analyzer does; `offline` plans the repository's stacks and reports like a preview.
"""
