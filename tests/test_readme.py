"""The README's generated parts match what generates them."""

from __future__ import annotations

from pathlib import Path

from tooling import readme as catalog

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_policy_table_is_generated_from_the_pack():
    assert catalog.readme_block() in README, "run `make policy-table`"


def test_readme_shows_the_two_commands_a_new_user_runs():
    assert "make plan" in README and "make test" in README
