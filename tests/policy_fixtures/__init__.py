"""Shared by the policy tests: the repository's real stacks, planned and checked once per test session."""

from __future__ import annotations

import functools
from pathlib import Path

from tooling.policy_check import StackCheck, check_stacks

ROOT = Path(__file__).resolve().parent.parent.parent


@functools.cache
def repo_checks() -> tuple[StackCheck, ...]:
    """Every Pulumi.<stack>.yaml in the repository, owners first, with the pack's default config (read only)."""
    return tuple(check_stacks(ROOT))
