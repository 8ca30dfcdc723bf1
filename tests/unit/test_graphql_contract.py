"""The GraphQL schema contract: the committed schema.graphql is the live schema, and no
breaking change, now or in the file's history, is made without being listed on purpose."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from booking.graphql import contract

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = contract.SNAPSHOT.relative_to(ROOT).as_posix()


def test_the_committed_schema_is_the_live_schema() -> None:
    unlisted = contract.unacknowledged(contract.committed(), contract.live())
    assert not unlisted, f"breaking changes not listed in {contract.ACKNOWLEDGED.name}: {unlisted}"
    assert contract.live() == contract.committed(), (
        "the schema changed: run `python manage.py graphql_contract --write` and commit schema.graphql"
    )


def test_no_committed_version_broke_the_one_before_it_unlisted() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git history of schema.graphql")
    log = subprocess.run(
        ["git", "log", "--format=%H", "--", SNAPSHOT], cwd=ROOT, capture_output=True, text=True, check=True
    )
    versions = [
        subprocess.run(
            ["git", "show", f"{commit}:{SNAPSHOT}"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        for commit in reversed(log.stdout.split())
    ]
    allowed = contract.acknowledged()
    for before, after in itertools.pairwise(versions):
        assert not contract.unacknowledged(before, after, allowed)


def test_breaking_changes_are_found_and_only_listing_them_allows_them() -> None:
    old = "type Query { booking(uid: ID!): Booking }\ntype Booking { uid: ID! title: String! }\n"
    removed = "type Query { booking(uid: ID!): Booking }\ntype Booking { uid: ID! }\n"
    required = "type Query { booking(uid: ID!, org: ID!): Booking }\ntype Booking { uid: ID! title: String! }\n"
    added = "type Query { booking(uid: ID!): Booking }\ntype Booking { uid: ID! title: String! notes: String }\n"
    assert contract.breaking(old, removed) == ["FIELD_REMOVED: Booking.title was removed."]
    assert contract.breaking(old, required) == ["REQUIRED_ARG_ADDED: A required arg org on Query.booking was added."]
    assert contract.breaking(old, added) == []  # adding is never breaking
    listed = contract.acknowledged(
        "# on purpose: titles moved to eventType\nFIELD_REMOVED: Booking.title was removed.\n"
    )
    assert contract.unacknowledged(old, removed, listed) == []
    assert contract.unacknowledged(old, required, listed) == [
        "REQUIRED_ARG_ADDED: A required arg org on Query.booking was added."
    ]
