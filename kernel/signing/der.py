"""A minimal, strict DER codec (ITU-T X.690 §10) for the CMS and RFC 3161 structures we handle.

Only what CMS SignedData (RFC 5652), ESS (RFC 5035) and time-stamp messages (RFC 3161) need:
low tag numbers, definite lengths, INTEGER, OID, OCTET STRING, times, SEQUENCE and SET OF.
Decoding refuses BER leniencies (indefinite or non-minimal lengths, trailing bytes), because a
signature verifier must see exactly one reading of the bytes it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_UTF8_STRING = 0x0C
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_SEQUENCE = 0x30
TAG_SET = 0x31
CONSTRUCTED = 0x20
CONTEXT = 0x80


class MalformedDer(ValueError):
    """The bytes are not the DER encoding this module expects."""


@dataclass(frozen=True)
class Tlv:
    """One decoded element: its identifier octet, its content octets and its full encoding."""

    tag: int
    value: bytes
    raw: bytes

    @property
    def constructed(self) -> bool:
        return bool(self.tag & CONSTRUCTED)

    def children(self) -> list[Tlv]:
        if not self.constructed:
            raise MalformedDer(f"l'élément de tag {self.tag:#x} n'est pas construit")
        return decode_all(self.value)

    def expect(self, tag: int) -> Tlv:
        if self.tag != tag:
            raise MalformedDer(f"tag {tag:#x} attendu, {self.tag:#x} trouvé")
        return self


def decode(data: bytes) -> Tlv:
    """Decode exactly one element; trailing bytes are refused."""
    element, end = _decode_at(data, 0)
    if end != len(data):
        raise MalformedDer("octets en trop après l'élément DER")
    return element


def decode_all(data: bytes) -> list[Tlv]:
    elements: list[Tlv] = []
    offset = 0
    while offset < len(data):
        element, offset = _decode_at(data, offset)
        elements.append(element)
    return elements


def _decode_at(data: bytes, offset: int) -> tuple[Tlv, int]:
    if offset + 2 > len(data):
        raise MalformedDer("élément DER tronqué")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise MalformedDer("numéros de tag étendus non pris en charge")
    length, start = _decode_length(data, offset + 1)
    end = start + length
    if end > len(data):
        raise MalformedDer("longueur DER au-delà des données")
    return Tlv(tag, data[start:end], data[offset:end]), end


def _decode_length(data: bytes, offset: int) -> tuple[int, int]:
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0:
        raise MalformedDer("longueur indéfinie (BER) refusée en DER")
    if count > 8 or offset + 1 + count > len(data):
        raise MalformedDer("longueur DER invalide")
    length = int.from_bytes(data[offset + 1 : offset + 1 + count], "big")
    if length < 0x80 or data[offset + 1] == 0:
        raise MalformedDer("longueur DER non minimale")
    return length, offset + 1 + count


def encode(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _encode_length(len(value)) + value


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def sequence(*items: bytes) -> bytes:
    return encode(TAG_SEQUENCE, b"".join(items))


def set_of(*items: bytes, tag: int = TAG_SET) -> bytes:
    # X.690 §11.6: the elements of a DER SET OF are sorted by their encodings.
    return encode(tag, b"".join(sorted(items)))


def explicit(number: int, item: bytes) -> bytes:
    return encode(CONTEXT | CONSTRUCTED | number, item)


def integer(number: int) -> bytes:
    length = (number + (number < 0)).bit_length() // 8 + 1
    return encode(TAG_INTEGER, number.to_bytes(length, "big", signed=True))


def boolean(flag: bool) -> bytes:
    return encode(TAG_BOOLEAN, b"\xff" if flag else b"\x00")


def octet_string(data: bytes) -> bytes:
    return encode(TAG_OCTET_STRING, data)


def null() -> bytes:
    return encode(TAG_NULL, b"")


def oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    body = _base128(arcs[0] * 40 + arcs[1]) + b"".join(_base128(arc) for arc in arcs[2:])
    return encode(TAG_OID, body)


def _base128(number: int) -> bytes:
    groups = [number & 0x7F]
    number >>= 7
    while number:
        groups.append(0x80 | (number & 0x7F))
        number >>= 7
    return bytes(reversed(groups))


def generalized_time(moment: datetime) -> bytes:
    text = moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")
    return encode(TAG_GENERALIZED_TIME, text.encode("ascii"))


def utc_time(moment: datetime) -> bytes:
    # RFC 5652 §11.3: signing-time uses UTCTime for the years 1950 to 2049.
    if not 1950 <= moment.year <= 2049:
        return generalized_time(moment)
    text = moment.astimezone(UTC).strftime("%y%m%d%H%M%SZ")
    return encode(TAG_UTC_TIME, text.encode("ascii"))


def read_integer(element: Tlv) -> int:
    element.expect(TAG_INTEGER)
    if not element.value:
        raise MalformedDer("INTEGER vide")
    return int.from_bytes(element.value, "big", signed=True)


def read_oid(element: Tlv) -> str:
    element.expect(TAG_OID)
    arcs: list[int] = []
    current = 0
    for octet in element.value:
        current = (current << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(current)
            current = 0
    if not arcs or element.value[-1] & 0x80:
        raise MalformedDer("OID tronqué")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - first * 40, *arcs[1:]])


def read_octet_string(element: Tlv) -> bytes:
    return element.expect(TAG_OCTET_STRING).value


def read_time(element: Tlv) -> datetime:
    text = element.value.decode("ascii", errors="replace")
    try:
        if element.tag == TAG_UTC_TIME:
            # RFC 5280 §4.1.2.5.1: two-digit years 50-99 are 19YY, 00-49 are 20YY.
            century = "19" if text[:2] >= "50" else "20"
            parsed = datetime.strptime(century + text, "%Y%m%d%H%M%SZ")
        elif element.tag == TAG_GENERALIZED_TIME:
            parsed = datetime.strptime(text.split(".")[0].rstrip("Z"), "%Y%m%d%H%M%S")
        else:
            raise MalformedDer(f"tag {element.tag:#x} n'est pas une date")
    except ValueError as exc:
        raise MalformedDer(f"date illisible : {text!r}") from exc
    return parsed.replace(tzinfo=UTC)
