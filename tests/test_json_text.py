"""The plan's JSON writer against the standard library's encoder: the same bytes for any plain document."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, database=None)
@given(DOCUMENTS)
def test_any_plain_document_is_written_as_the_standard_encoder_writes_it(document):
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
