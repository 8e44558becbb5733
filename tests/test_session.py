"""The test session itself: the order its tests run in (see tests/conftest.py)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import is_hypothesis_test


def test_the_hypothesis_properties_run_first_and_every_other_test_as_collected(request: pytest.FixtureRequest):
    items = request.session.items
    properties = [is_hypothesis_test(getattr(item, "obj", None)) for item in items]
    assert properties == sorted(properties, reverse=True), "a property runs after a test that is not one"
    # each group keeps pytest's order: a file's tests together, in the order they are written
    for group in (True, False):
        places = [
            item.location[:2] for item, is_property in zip(items, properties, strict=True) if is_property is group
        ]
        files = [file for file, _ in places]
        assert files == sorted(files, key=files.index)
        for (file, line), (next_file, next_line) in itertools.pairwise(places):
            assert file != next_file or line <= next_line, (file, line, next_line)
