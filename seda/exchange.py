"""Building and parsing the SEDA exchange messages other than the transfer, from declarative
specs: one `Spec` per message and version lists, in schema order, which element carries which
field of the message's dataclass and how. One engine writes them all (escaped text, the
DataObjectPackage streamed by seda.writer) and reads them back (safe parser, by SEDA name).

Why specs: the twenty-odd messages of SEDA 2.x (seda-2.x-main.xsd: MessageType,
BusinessMessageType, BusinessReplyMessageType…) and of SEDA 1.0 (seda_v1-0_*.xsd, with their own
identifier names) differ only by which elements follow which; a table per message says that once
for building and for parsing, so both always agree. What a version cannot carry is refused: a
field with a value that the version's spec does not name raises VersionMismatch, never dropped.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, auto
from typing import Any

from lxml import etree

from seda.content import EVENT_FIELDS, event
from seda.errors import EmptyIdentifier, MissingValue, NotSeda, NoUnit, VersionMismatch
from seda.model import Event
from seda.reader import read_package
from seda.reading import SedaReader
from seda.safexml import parse_bytes
from seda.textout import XML_DECLARATION, TextOut
from seda.versions import AnyVersion, Seda1Version, SedaVersion, any_version_from_namespace
from seda.writer import SedaOut, write_package
from seda.xmltext import element, escape_attr, escape_text


class Kind(Enum):
    TEXT = auto()  # a required non-empty value
    OPTIONAL = auto()  # str | None
    TEXTS = auto()  # tuple[str, ...], repeated element
    DATETIME = auto()
    DATE = auto()
    BOOL = auto()
    AGENCY = auto()  # 2.x OrganizationWithIdType: <X><Identifier>…</Identifier></X>
    ORGANIZATION = auto()  # 1.0 OrganizationType: <X><Identification>…</Identification></X>
    UNITS = auto()  # UnitIdentifier+ (1.0: with its required schemeName)
    CODE_LISTS = auto()  # 2.x CodeListVersions, written empty (every child is optional)
    PACKAGE = auto()  # 2.x DataObjectPackage | None
    OPERATION = auto()  # 2.x Operation: Event*
    GROUP = auto()  # an element holding `nested` fields (of the message, or of a sub-dataclass)


# 1.0 UnitIdentifierType requires a schemeName (seda_v1-0_unitidentifier_code.xsd): units are
# named by the archival agency's identifier, the one its replies give.
UNIT_SCHEME = "ArchivalAgencyArchiveIdentifier"


@dataclass(frozen=True)
class Field:
    element: str
    attribute: str | None  # the dataclass field; None for a structural element
    kind: Kind
    nested: tuple[Field, ...] = ()
    factory: Callable[..., Any] | None = None  # GROUP holding a sub-dataclass
    to_xml: Callable[[Any], Any] | None = None  # e.g. UnitToDestroy → identifier
    from_xml: Callable[[Any], Any] | None = None
    choices: tuple[str, ...] = ()  # a closed code list of the version
    at_least_one: bool = False  # TEXTS: 1..n


@dataclass(frozen=True)
class Spec:
    root: str
    fields: tuple[Field, ...]


def f(name: str, attribute: str | None, kind: Kind, *nested: Field, **options: Any) -> Field:
    return Field(name, attribute, kind, nested, **options)


# The heads every SEDA 2.x message shares (seda-2.x-main.xsd): MessageType, then
# BusinessMessageType, then BusinessReplyMessageType for replies.
HEAD = (
    f("Comment", "comments", Kind.TEXTS),
    f("Date", "date", Kind.DATETIME),
    f("MessageIdentifier", "message_identifier", Kind.TEXT),
)
BUSINESS = (
    f("ArchivalAgreement", "archival_agreement", Kind.OPTIONAL),
    f("CodeListVersions", None, Kind.CODE_LISTS),
    f("DataObjectPackage", "package", Kind.PACKAGE),
)
REPLY = (
    f("ReplyCode", "reply_code", Kind.OPTIONAL),
    f("Operation", "events", Kind.OPERATION),
    f("MessageRequestIdentifier", "request_identifier", Kind.TEXT),
)


def head_v1(identifier: str) -> tuple[Field, ...]:
    """Comment*, Date, then the message's own identifier, named after it in SEDA 1.0."""
    return (
        f("Comment", "comments", Kind.TEXTS),
        f("Date", "date", Kind.DATETIME),
        f(identifier, "message_identifier", Kind.TEXT),
    )


# -- building ---------------------------------------------------------------------------------
def build(spec: Spec, version: AnyVersion, message: Any) -> bytes:
    """The message as UTF-8 XML with its declaration, in the namespace of `version`."""
    _refuse_unnamed(spec, message, version)
    buffer = io.BytesIO()
    w: TextOut = SedaOut(buffer, version) if isinstance(version, SedaVersion) else TextOut(buffer)
    w.raw(XML_DECLARATION + f'<{spec.root} xmlns="{version.namespace}">')
    for field in spec.fields:
        _write(w, field, message, version)
    w.raw(f"</{spec.root}>\n")
    w.flush()
    return buffer.getvalue()


def _refuse_unnamed(spec: Spec, message: Any, version: AnyVersion) -> None:
    named = {n.attribute for n in _flatten(spec.fields)}
    for field in dataclasses.fields(message):
        value = getattr(message, field.name)
        default = field.default_factory() if callable(field.default_factory) else field.default
        if field.name not in named and value != default:
            raise VersionMismatch(
                f"{spec.root} SEDA {version.value} : {field.name} ne peut être transmis"
            )


def _flatten(fields: tuple[Field, ...]) -> list[Field]:
    flat: list[Field] = []
    for field in fields:
        flat.append(field)
        if field.kind is Kind.GROUP and field.attribute is None:
            flat += _flatten(field.nested)
    return flat


def _value(field: Field, holder: Any) -> Any:
    value = None if field.attribute is None else getattr(holder, field.attribute)
    return field.to_xml(value) if field.to_xml is not None and value is not None else value


def _write(w: TextOut, field: Field, holder: Any, version: AnyVersion) -> None:
    """The element of `field`, its value read from `holder` (the message or a sub-dataclass)."""
    name, kind = field.element, field.kind
    if kind is Kind.GROUP:
        _write_group(w, field, holder, version)
        return
    value = _value(field, holder)
    _check(field, value, version)
    if kind in (Kind.TEXT, Kind.OPTIONAL):
        if kind is Kind.TEXT and not str(value).strip():
            raise EmptyIdentifier(f"{name} vide : message SEDA impossible")
        w.value(name, value)
    elif kind is Kind.TEXTS:
        w.raw("".join(element(name, v) for v in value))
    elif kind in (Kind.DATETIME, Kind.DATE):
        w.value(name, value.isoformat())
    elif kind is Kind.BOOL:
        w.value(name, "true" if value else "false")
    elif kind in (Kind.AGENCY, Kind.ORGANIZATION):
        child = "Identifier" if kind is Kind.AGENCY else "Identification"
        if not str(value).strip():
            raise EmptyIdentifier(f"{name} sans identifiant : message SEDA impossible")
        w.raw(f"<{name}>{element(child, value)}</{name}>")
    else:
        _write_structure(w, field, value, version)


def _check(field: Field, value: Any, version: AnyVersion) -> None:
    if field.choices and value is not None and value not in field.choices:
        raise VersionMismatch(
            f"{field.element} SEDA {version.value} : {value!r} hors de la liste "
            f"({', '.join(field.choices)})"
        )
    if field.at_least_one and not value:
        raise MissingValue(f"{field.element} requis au moins une fois en SEDA {version.value}")


def _write_structure(w: TextOut, field: Field, value: Any, version: AnyVersion) -> None:
    name, kind = field.element, field.kind
    if kind is Kind.UNITS:
        _write_units(w, name, value, version)
    elif kind is Kind.CODE_LISTS:
        w.raw(f"<{name}/>")
    elif kind is Kind.PACKAGE and value is not None:
        assert isinstance(w, SedaOut)  # a 2.x spec: the output checks names for its version
        write_package(w, value)
    elif kind is Kind.OPERATION and value:
        w.raw(f"<{name}>{''.join(event(e) for e in value)}</{name}>")


def _write_units(w: TextOut, name: str, values: tuple[str, ...], version: AnyVersion) -> None:
    if not values:
        raise NoUnit("aucune unité d'archives désignée : message SEDA impossible")
    if any(not v.strip() for v in values):
        raise EmptyIdentifier("identifiant d'unité d'archives vide : message SEDA impossible")
    scheme = (
        f' schemeName="{escape_attr(UNIT_SCHEME)}"' if isinstance(version, Seda1Version) else ""
    )
    for value in values:
        w.raw(f"<{name}{scheme}>{escape_text(value)}</{name}>")


def _write_group(w: TextOut, field: Field, holder: Any, version: AnyVersion) -> None:
    """A group of the message's own fields, or of the sub-dataclass its attribute holds."""
    if field.attribute is not None:
        holder = getattr(holder, field.attribute)
        if holder is None:
            raise MissingValue(f"{field.element} requis en SEDA {version.value}")
    w.raw(f"<{field.element}>")
    for nested in field.nested:
        _write(w, nested, holder, version)
    w.raw(f"</{field.element}>")


# -- parsing ----------------------------------------------------------------------------------
def parse(specs: Mapping[type[Any], Mapping[str, Spec]], data: bytes) -> tuple[AnyVersion, Any]:
    """The version and the dataclass of a message whose root one of `specs` names."""
    root = parse_bytes(data).getroot()
    version = any_version_from_namespace(etree.QName(root).namespace)
    family = "1.0" if isinstance(version, Seda1Version) else "2"
    name = etree.QName(root).localname
    for cls, by_family in specs.items():
        spec = by_family.get(family)
        if spec is not None and spec.root == name:
            reader = _Reader(root, version)
            return version, cls(**reader.values(spec.fields, root))
    raise NotSeda(f"{name} n'est pas un message d'échange SEDA {version.value} connu")


class _Reader:
    def __init__(self, root: etree._Element, version: AnyVersion) -> None:
        self.version = version
        self.brace = "{" + version.namespace + "}"
        self.seda = SedaReader(root) if isinstance(version, SedaVersion) else None

    def values(self, fields: tuple[Field, ...], parent: etree._Element) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in fields:
            if field.kind is Kind.GROUP and field.attribute is None:
                values |= self.values(field.nested, self.one(parent, field.element))
            elif field.attribute is not None:
                value = self.read(field, parent)
                convert = field.from_xml
                values[field.attribute] = convert(value) if convert and value is not None else value
        return values

    def one(self, parent: etree._Element, name: str) -> etree._Element:
        found = parent.find(self.brace + name)
        if found is None:
            raise NotSeda(f"élément {name} absent de {etree.QName(parent).localname}")
        return found

    def texts(self, parent: etree._Element, name: str) -> tuple[str, ...]:
        return tuple((e.text or "").strip() for e in parent.findall(self.brace + name))

    def read(self, field: Field, parent: etree._Element) -> Any:
        name, kind = field.element, field.kind
        if kind in (Kind.TEXTS, Kind.UNITS):
            return self.texts(parent, name)
        if kind is Kind.OPTIONAL:
            found = parent.find(self.brace + name)
            return None if found is None else (found.text or "").strip()
        if kind is Kind.PACKAGE:
            found = parent.find(self.brace + name)
            return None if found is None or self.seda is None else read_package(self.seda, found)
        if kind is Kind.OPERATION:
            found = parent.find(self.brace + name)
            return () if found is None else tuple(self.event(e) for e in found)
        if kind is Kind.GROUP:
            found = parent.find(self.brace + name)
            assert field.factory is not None
            return None if found is None else field.factory(**self.values(field.nested, found))
        return self.scalar(kind, self.one(parent, name))

    def scalar(self, kind: Kind, el: etree._Element) -> Any:
        if kind in (Kind.AGENCY, Kind.ORGANIZATION):
            child = "Identifier" if kind is Kind.AGENCY else "Identification"
            return (self.one(el, child).text or "").strip()
        text = (el.text or "").strip()
        if kind is Kind.DATETIME:
            return datetime.fromisoformat(text)
        if kind is Kind.DATE:
            return date.fromisoformat(text)
        if kind is Kind.BOOL:
            return text in ("true", "1")
        return text

    def event(self, el: etree._Element) -> Event:
        attributes = dict(EVENT_FIELDS)
        found = {
            attributes[etree.QName(c).localname]: (c.text or "")
            for c in el
            if isinstance(c.tag, str) and etree.QName(c).localname in attributes
        }
        return Event(**found)
