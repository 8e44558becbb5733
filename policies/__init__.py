"""The lattice-tenancy CrossGuard policy pack, and nothing else (what `pulumi policy publish` would ship).

    pulumi preview -s owner --policy-pack policies          # the real engine (runs policies/__main__.py)
    python -m tooling policies                              # every stack in this repository, offline
    python -m tooling policy-table                          # the guardrail table for the README

`rules/` holds the policies (importable as `policies.rules` and, inside the pack, as `rules`). Running them offline
the way the analyzer does is the tooling's job (tooling.policy_evaluation, tooling.policy_check).
"""
