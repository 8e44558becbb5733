"""A property test's whole scenario read off one drawn integer (shared by the property tests that need speed)."""

from __future__ import annotations

from typing import Any, TypeVar

from hypothesis import strategies as st

C = TypeVar("C", bound="Choices")


class Choices:
    """A scenario read off one drawn integer, digit by digit.

    One draw per example keeps thousands of examples fast (Hypothesis' own cost per draw, and per strategy built
    inside a test, dominates a cheap property), and shrinking the integer shrinks the scenario toward the first,
    simplest options.
    """

    def __init__(self, number: int) -> None:
        self.seed = self.number = number

    def __repr__(self) -> str:  # the whole scenario, to replay a failure: body(Choices(seed))
        return f"{type(self).__name__}({self.seed})"

    def index(self, size: int) -> int:
        self.number, digit = divmod(self.number, size)
        return digit

    def pick(self, options: list[Any]) -> Any:
        return options[self.index(len(options))]


def drawn(kind: type[C], *, bits: int) -> st.SearchStrategy[C]:
    """Scenarios of `kind`, each from one integer of up to `bits` bits (enough digits for every choice it makes)."""
    return st.integers(0, 2**bits - 1).map(kind)
