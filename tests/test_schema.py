"""The stack files' JSON Schema: generated from the config models, committed, and met by every shipped stack file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tooling import schema
from tooling.stackfiles import stack_names

ROOT = Path(__file__).resolve().parent.parent
MODELINE = f"# yaml-language-server: $schema=./{schema.SCHEMA_PATH}"
VALIDATOR = jsonschema.Draft202012Validator(json.loads((ROOT / schema.SCHEMA_PATH).read_text()))


def test_the_committed_schema_is_what_the_models_generate():
    assert (ROOT / schema.SCHEMA_PATH).read_text() == schema.render(), "run `make schema`"
    jsonschema.Draft202012Validator.check_schema(json.loads(schema.render()))


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_shipped_stack_file_names_the_schema_and_meets_it(stack):
    text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    assert text.splitlines()[0] == MODELINE
    assert [e.message for e in VALIDATOR.iter_errors(yaml.safe_load(text))] == []


def _owner() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.owner.yaml").read_text())


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c.update({"lattice-tenancy:tenant": []}), "Additional properties"),  # typo of tenants
        (lambda c: c.update({"lattice-tenancy:profile": "prod"}), "'prod'"),
        (lambda c: c["lattice-tenancy:database"].update({"port": 80}), "80"),
        (
            lambda c: c.update({"lattice-tenancy:externalIds": {"tenant-a": "in-clear-0123456789"}}),
            "is not of type 'object'",
        ),
        (lambda c: c.pop("lattice-tenancy:network"), "network"),
    ],
    ids=["unknown key", "bad enum", "out of bounds", "secret in clear", "missing required key"],
)
def test_the_schema_catches_what_an_editor_should_flag(change, words):
    document = copy.deepcopy(_owner())
    change(document["config"])
    errors = list(VALIDATOR.iter_errors(document))
    assert errors, "the schema accepted a broken stack file"
    # Under oneOf (owner or tenant) the reasons are in each error's context.
    messages = [e.message for error in errors for e in [error, *error.context]]
    assert any(words in m for m in messages), messages


def test_other_providers_keys_are_left_alone():
    document = _owner()
    document["config"]["aws:profile"] = "owner-admin"
    assert list(VALIDATOR.iter_errors(document)) == []
