"""JSON nesting is measured on the text, in one pass, before anything parses it."""

from __future__ import annotations

import json
import time

from booking.json_body import deeper_than


def test_arrays_and_objects_inside_each_other_count_a_level_each() -> None:
    text = json.dumps({"a": [{"b": [1]}]})  # four levels
    assert not deeper_than(text, 4)
    assert deeper_than(text, 3)
    assert not deeper_than("[] [] {} 1", 1)  # siblings do not add up


def test_brackets_inside_strings_do_not_count_and_escapes_do_not_end_a_string() -> None:
    assert not deeper_than(json.dumps({"q": "[[[[{{{{" * 100}), 1)
    assert not deeper_than(json.dumps({"q": 'say "[[[[" \\ then [[['}), 1)
    assert deeper_than(json.dumps({"q": "\\", "r": [[1]]}), 2)  # the string ends after its escaped backslash


def test_a_hundred_thousand_levels_are_refused_at_the_limit_quickly() -> None:
    text = "[" * 100_000 + "]" * 100_000
    started = time.process_time()
    assert deeper_than(text, 32)
    assert time.process_time() - started < 0.05
    flat = json.dumps({"q": "x" * 60_000, "v": list(range(2000))})
    started = time.process_time()
    assert not deeper_than(flat, 32)
    assert time.process_time() - started < 0.05
