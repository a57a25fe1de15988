"""The TwiML answer to an inbound webhook: replies travel inline, in the HTTP response."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

CONTENT_TYPE = "application/xml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
# Characters XML 1.0 cannot carry at all, even escaped; one in a reply would
# make the whole document unparseable and Twilio would send nothing.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_twiml(replies: Sequence[str]) -> str:
    """``<Response/>`` for no reply, else one ``<Message>`` per reply text."""
    messages = [_NOT_XML.sub("", text) for text in replies]
    # An empty <Message> is an error at Twilio (no body), so blank replies are skipped.
    messages = [text for text in messages if text.strip()]
    if not messages:
        return f"{_DECLARATION}<Response/>"
    body = "".join(f"<Message>{escape(text)}</Message>" for text in messages)
    return f"{_DECLARATION}<Response>{body}</Response>"
