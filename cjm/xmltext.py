"""Untrusted text made safe for XML 1.0 (REFI-QDA, XES) and for spreadsheet cells (XLSX is XML too).

Escaping `<`, `&` and quotes is the XML library's job; what no library does is drop the characters
XML 1.0 cannot carry at all (control characters other than tab, newline and carriage return, lone
surrogates, U+FFFE/U+FFFF): a transcript with a stray NUL or form feed would make the whole file
unreadable. Each such character is replaced by U+FFFD, one for one, so that character offsets into
the text (coded segments, mention spans) stay valid.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: object) -> str:
    """`text` as a string XML 1.0 can hold: every invalid character replaced by U+FFFD (same length)."""
    return _INVALID_XML.sub(REPLACEMENT, "" if text is None else str(text))
