"""How deeply a JSON text nests, measured before `json.loads` sees it.

The standard parser recurses once per level, so a few kilobytes of `[[[[...` raise
RecursionError inside it, and a value just under the interpreter's limit would recurse again in
graphql-core's coercion and in our error messages. One linear pass over the brackets, outside
strings, is enough to refuse such a text first.
"""

from __future__ import annotations

import re

_TOKENS = re.compile(r'[\\"\[\]{}]')  # the only characters that change the nesting or the string state


def deeper_than(text: str, most: int) -> bool:
    """True when the JSON text opens more than `most` arrays or objects inside each other."""
    depth = 0
    in_string = False
    escaped_at = -1
    for token in _TOKENS.finditer(text):
        at, char = token.start(), token.group()
        if at == escaped_at:  # the character after a backslash in a string
            continue
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > most:
                return True
        elif char in "]}":
            depth -= 1
    return False
