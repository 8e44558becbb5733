"""The AWS API models that ship in botocore: the authority for names, patterns, lengths and enums."""

from __future__ import annotations

import functools
import gzip
import json
import re
from pathlib import Path

import botocore


@functools.cache
def model(service: str) -> dict:
    folder = Path(botocore.__file__).parent / "data" / service
    latest = sorted(folder.iterdir())[-1]
    return json.loads(gzip.decompress((latest / "service-2.json.gz").read_bytes()))


def shape(service: str, name: str) -> dict:
    return model(service)["shapes"][name]


def accepts(service: str, shape_name: str, value: str) -> bool:
    """Whether `value` satisfies the string shape's min/max length and pattern."""
    s = shape(service, shape_name)
    if not s.get("min", 0) <= len(value) <= s.get("max", 1 << 30):
        return False
    pattern = s.get("pattern")
    return pattern is None or re.fullmatch(pattern, value) is not None


def enum(service: str, shape_name: str) -> list[str]:
    return shape(service, shape_name)["enum"]


def member_shape(service: str, structure: str, member: str) -> dict:
    return shape(service, shape(service, structure)["members"][member]["shape"])
