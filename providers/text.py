"""Text from outside made fit to store: a receiver's or provider's answer, or an exception's
message that may quote one, written to an error column.

PostgreSQL refuses NUL in text, and neither store can encode a lone surrogate (which a JSON
`\\ud800` or a `surrogateescape` decode yields), so such text would make the write itself fail:
the row that was to record a failure raises instead. Control characters other than tab and
newline are replaced too (they garble the logs and consoles ops read this in), each by U+FFFD,
as a `replace` decode marks undecodable bytes; then the text is cut to the column's bound.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str, limit: int = 2000) -> str:
    """`text` with NUL, other C0 controls (but tab and newline), DEL and lone surrogates
    replaced by U+FFFD, at most `limit` characters long."""
    return _UNSTORABLE.sub(REPLACEMENT, text[:limit])
