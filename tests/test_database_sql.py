"""The tenants' MySQL statements: exact under MySQL's own matching rules, so no tenant is granted another's schema."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from pydantic import ValidationError

from tenancy import documents
from tenancy.config import Tenant
from tests import choices

IDENTIFIER = r"`((?:[^`]|``)*)`"
STRING = r"'((?:[^']|'')*)'"
CREATE_DATABASE = re.compile(rf"CREATE DATABASE IF NOT EXISTS {IDENTIFIER};")
CREATE_USER = re.compile(
    rf"CREATE USER IF NOT EXISTS {STRING}@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;"
)
GRANT = re.compile(rf"GRANT ALL PRIVILEGES ON {IDENTIFIER}\.\* TO {STRING}@'%';")


def unquote_identifier(text: str) -> str:
    return text.replace("``", "`")


def schema_grant_matches(pattern: str, schema: str) -> bool:
    """MySQL's rule for the db part of `GRANT … ON db.*`: `_` is any one character, `%` any run, `\\` escapes the next
    (MySQL 8.4 Reference Manual, 15.7.1.6 GRANT Statement). Written apart from the code under test, on purpose."""
    regex, chars = "", iter(pattern)
    for c in chars:
        if c == "\\":
            regex += re.escape(next(chars, "\\"))
        elif c == "_":
            regex += "."
        elif c == "%":
            regex += ".*"
        else:
            regex += re.escape(c)
    return re.fullmatch(regex, schema, flags=re.DOTALL | re.IGNORECASE) is not None


def what_it_touches(statements: list[str]) -> tuple[set[str], set[str], list[str]]:
    """(schemas created, users created, schema patterns granted) — every statement must be one of the three shapes."""
    schemas, users, grants = set(), set(), []
    for statement in statements:
        if m := CREATE_DATABASE.fullmatch(statement):
            schemas.add(unquote_identifier(m[1]))
        elif m := CREATE_USER.fullmatch(statement):
            users.add(m[1].replace("''", "'"))
        elif m := GRANT.fullmatch(statement):
            grants.append(unquote_identifier(m[1]))
            users.add(m[2].replace("''", "'"))
        else:
            raise AssertionError(f"unexpected statement shape: {statement}")
    return schemas, users, grants


def test_an_underscore_is_escaped_so_a_b_is_not_granted_a1b():
    sql = documents.database_user_sql(["a_b"])
    assert sql[2] == "GRANT ALL PRIVILEGES ON `a\\_b`.* TO 'a_b'@'%';"
    _, _, (pattern,) = what_it_touches(sql)
    assert schema_grant_matches(pattern, "a_b")
    assert not schema_grant_matches(pattern, "a1b")
    # The matcher itself: an unescaped underscore is the wildcard this project used to grant.
    assert schema_grant_matches("a_b", "a1b")


@pytest.mark.parametrize(
    ("name", "quoted", "grant_level"),
    [
        ("plain", "`plain`", "`plain`"),
        ("per%cent", "`per%cent`", "`per\\%cent`"),
        ("back`tick", "`back``tick`", "`back``tick`"),
        ("back\\slash", "`back\\slash`", "`back\\\\slash`"),
    ],
)
def test_identifiers_are_quoted_and_grant_levels_escaped(name, quoted, grant_level):
    assert documents.mysql_identifier(name) == quoted
    assert documents.mysql_grant_schema(name) == grant_level


def test_string_literals_double_quotes_and_refuse_backslashes():
    assert documents.mysql_string("o'neil") == "'o''neil'"
    with pytest.raises(ValueError, match="NO_BACKSLASH_ESCAPES"):
        documents.mysql_string("a\\b")


def _tenant(name: str, db_user: str | None) -> Tenant | None:
    try:
        return Tenant.model_validate(
            {"name": name, "accountId": "222222222222", "team": "T", **({"dbUser": db_user} if db_user else {})}
        )
    except ValidationError:
        return None


A_R, A_Z, DIGITS = string.ascii_lowercase[:18], string.ascii_lowercase, string.digits


class Tenants(choices.Choices):
    """Tenants read off one drawn integer (drawing each character from Hypothesis took most of this file's time)."""

    def word(self, first: str, middle: str, most: int, last: str = "") -> str:
        """A string of `[first][middle]{0,most}[last]`, short ones as likely as long ones."""
        length = self.index(most + 1)
        return self.pick(first) + "".join(self.pick(middle) for _ in range(length)) + (self.pick(last) if last else "")

    def tenant(self, near: str | None = None) -> Tenant:
        """A valid tenant; a small alphabet makes near-collisions (a_b / a1b / a-b / ab) frequent, the full pattern
        covers the rest, and with `near` its DB user is that one with one character changed. Names the config
        refuses (a double hyphen, a system name, a bad edit) are drawn again."""
        while True:
            if self.index(2):
                name = self.word(A_R, A_R + DIGITS + "-", 5, A_R + DIGITS)  # [a-r][a-r0-9-]{0,5}[a-r0-9]
            else:
                name = self.word(A_Z, A_Z + DIGITS + "-", 30, A_Z + DIGITS)  # [a-z][a-z0-9-]{0,30}[a-z0-9]
            if near:
                where = self.index(len(near))
                db_user: str | None = near[:where] + self.pick(A_Z + DIGITS + "_") + near[where + 1 :]
            else:
                db_user = [
                    lambda: None,
                    lambda: self.word("ab", "ab1_", 4),  # [ab][ab1_]{0,4}
                    lambda: self.word(A_Z, A_Z + DIGITS + "_", 31),  # [a-z][a-z0-9_]{0,31}
                ][self.index(3)]()
            if tenant := _tenant(name, db_user):
                return tenant


@settings(max_examples=2000, deadline=None, database=None)
@given(choices.drawn(Tenants, bits=4096))
def test_no_statement_for_one_tenant_grants_anything_on_anothers_schema(drawn):
    one = drawn.tenant()
    other = drawn.tenant(near=one.database_user if drawn.index(2) else None)
    if one.database_user == other.database_user:
        return  # the config refuses two tenants with one DB user (tenants[].dbUser must be unique)
    schemas, users, grants = what_it_touches(documents.database_user_sql([one.database_user]))
    assert schemas == {one.database_user} and users == {one.database_user}
    assert grants and all(schema_grant_matches(p, one.database_user) for p in grants)
    assert not any(schema_grant_matches(p, other.database_user) for p in grants), (one, other, grants)
