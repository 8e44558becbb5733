"""The plan's JSON writer against the standard library's encoder: the same bytes for any plain document."""

from __future__ import annotations

import json
import math
import struct

import pytest
from hypothesis import given, note, settings

from tests import choices
from tooling import json_text, plan
from tooling.plan import ROOT


def standard(document: object) -> str:
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False)


def written(document: object) -> str:
    pieces: list[str] = []
    json_text.write(document, pieces.append)
    return "".join(pieces)


def test_the_shipped_plan_is_written_as_the_standard_encoder_writes_it():
    document = plan._document(plan.plan_all(ROOT))
    assert written(document) == standard(document)


# Strings go through the standard encoder's own escaping function and floats through float.__repr__, as there: what
# can differ is the structure (nesting, indentation, separators, empties, key order) and which scalar is which.
SCALARS = [None, True, False, 0, 1, -1, 10**20, -(2**100), 0.0, -0.0, 1.5, 1e308, 5e-324, math.inf, -math.inf, math.nan]
CHARACTERS = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "\ud800", "🎉"]


class Documents(choices.Choices):
    """Plain documents read off one drawn integer: any scalar, nested lists, tuples and dicts, up to 30 leaves."""

    leaves = 30

    def text(self) -> str:
        return "".join(
            self.pick(CHARACTERS) if self.index(2) else chr(self.index(0x110000)) for _ in range(self.index(8))
        )

    def scalar(self) -> object:
        kind = self.index(5)
        if kind == 0:
            return self.pick(SCALARS)
        if kind == 1:
            return self.index(2**80) - 2**79
        if kind == 2:  # any 64-bit pattern: subnormals, NaNs with payloads, integral floats, ...
            return struct.unpack("<d", self.index(2**64).to_bytes(8, "little"))[0]
        return self.text()

    def document(self, depth: int = 0) -> object:
        self.leaves -= 1
        if self.leaves <= 0 or depth >= 6 or not self.index(3):
            return self.scalar()
        size = self.index(5)
        container = self.index(3)
        if container == 0:
            return [self.document(depth + 1) for _ in range(size)]
        if container == 1:
            return tuple(self.document(depth + 1) for _ in range(size))
        return {self.text(): self.document(depth + 1) for _ in range(size)}


@settings(max_examples=300, deadline=None, database=None)
@given(choices.drawn(Documents, bits=8192))
def test_any_plain_document_is_written_as_the_standard_encoder_writes_it(drawn):
    document = drawn.document()
    note(repr(document))
    assert written(document) == standard(document)


@pytest.mark.parametrize(
    "keys", [[3, -1, 10**20], [0.5, -0.0, math.inf, -math.inf], [True, False], [None], ["é", "a\nb", '"q"']]
)
def test_keys_are_coerced_and_sorted_as_the_standard_encoder_does(keys):
    document = {"outer": {key: [key, {}] for key in keys}, "empty": [], "nan": math.nan}
    assert written(document) == standard(document)


def test_what_json_cannot_hold_is_refused_as_the_standard_encoder_refuses_it():
    for document in ({"set": {1}}, {(1, 2): "tuple key"}, {"bytes": b"x"}):
        with pytest.raises(TypeError):
            standard(document)
        with pytest.raises(TypeError):
            written(document)


def test_a_large_document_is_written_in_pieces():
    pieces: list[str] = []
    json_text.write([str(i) for i in range(200_000)], pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == standard([str(i) for i in range(200_000)])
