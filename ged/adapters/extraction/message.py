"""Text and attachments of e-mail messages (Internet Message Format, RFC 5322; MIME, RFC 2045–
2049), read inside a worker process.

The text is the message's main headers (subject, sender, recipients, date), its body (the
plain-text alternative, else the HTML one stripped of its markup) and the names of its
attachments. Each attachment (an attached message included, as a ``.eml``) is decoded into the
``parts`` file the caller created, one after the other, and described by its offset and size
there: the caller files them as documents. The MIME tree is walked iteratively with a depth
cap and at most ``MAX_ATTACHMENTS`` attachments are written; the parser runs under the worker's
memory and time limits like every extractor.
"""

from __future__ import annotations

import email
import email.policy
import mimetypes
from collections.abc import Iterator
from email.message import EmailMessage, Message
from pathlib import Path

from ged.adapters.extraction.plaintext import read_prefix, strip_markup
from ged.adapters.extraction.results import ExtractorOutput
from ged.services.ports import EmbeddedFile
from kernel.sandbox.failures import MalformedDocument

MAX_MESSAGE_BYTES = 1024**3
MAX_DEPTH = 20
MAX_ATTACHMENTS = 200
_HEADERS = (("Subject", "Objet"), ("From", "De"), ("To", "À"), ("Cc", "Cc"), ("Date", "Date"))


def extract_message(path: str, max_chars: int, parts: str | None = None) -> ExtractorOutput:
    """Text of a message; its attachments written into ``parts`` when given."""
    raw, complete = read_prefix(path, MAX_MESSAGE_BYTES)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MalformedDocument("no header: not an Internet message")
    attachments, warnings = _attachments(message)
    text = "\n".join([*_header_lines(message), "", _body(message), *_names(attachments)])
    embedded = _write(attachments, Path(parts)) if parts and complete else ()
    return ExtractorOutput(
        text=text[:max_chars].strip(),
        truncated=not complete or len(text) > max_chars,
        attachments=embedded,
        warnings=warnings,
    )


def _header_lines(message: EmailMessage) -> list[str]:
    lines = []
    for name, label in _HEADERS:
        value = message.get(name)
        if value:
            lines.append(f"{label} : {value}")
    return lines


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError) as exc:
        raise MalformedDocument(f"unreadable body: {exc}") from exc
    if not isinstance(content, str):
        return ""
    return strip_markup(content) if part.get_content_subtype() == "html" else content


def _leaves(message: Message) -> Iterator[tuple[Message, int]]:
    """Every part of the MIME tree with its depth, without recursion."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, depth = stack.pop()
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            if depth < MAX_DEPTH:
                children = part.get_payload()
                if isinstance(children, list):
                    stack.extend(
                        (child, depth + 1)
                        for child in reversed(children)
                        if isinstance(child, Message)
                    )
            continue
        yield part, depth


def _attachments(message: EmailMessage) -> tuple[list[Message], tuple[str, ...]]:
    body = message.get_body(preferencelist=("plain", "html"))
    found = [part for part, _ in _leaves(message) if part is not body and _is_attachment(part)]
    warnings = (
        (f"attachments_not_split:{len(found) - MAX_ATTACHMENTS}",)
        if len(found) > MAX_ATTACHMENTS
        else ()
    )
    return found[:MAX_ATTACHMENTS], warnings


def _is_attachment(part: Message) -> bool:
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _names(attachments: list[Message]) -> list[str]:
    return [f"Pièce jointe : {_filename(part, index)}" for index, part in enumerate(attachments, 1)]


def _filename(part: Message, index: int) -> str:
    name = part.get_filename()
    if name:
        return str(name)
    kind = part.get_content_type()
    extension = ".eml" if kind == "message/rfc822" else mimetypes.guess_extension(kind) or ".bin"
    return f"piece-jointe-{index}{extension}"


def _payload(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        attached = inner[0] if isinstance(inner, list) and inner else inner
        return attached.as_bytes() if isinstance(attached, Message) else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _write(attachments: list[Message], parts: Path) -> tuple[EmbeddedFile, ...]:
    embedded = []
    with parts.open("ab") as out:
        for index, part in enumerate(attachments, 1):
            data = _payload(part)
            embedded.append(
                EmbeddedFile(_filename(part, index), part.get_content_type(), out.tell(), len(data))
            )
            out.write(data)
    return tuple(embedded)
