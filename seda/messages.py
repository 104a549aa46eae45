"""One entry point for every SEDA exchange message but the transfer, SEDA 2.1 / 2.2 / 2.3 and 1.0:
`build_message(version, message)` gives the bytes of a message dataclass, `parse_message(data)`
the version and the dataclass back. The families: acknowledgement (any message), communication
(delivery), restitution, elimination (authorizations and destruction), modification.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from seda import acknowledgement, communication, elimination, exchange, modification, restitution
from seda.acknowledgement import Acknowledgement
from seda.communication import ArchiveDeliveryRequest, ArchiveDeliveryRequestReply
from seda.destruction import (
    build_authorization_request,
    build_destruction_notification,
    build_originating_agency_request,
    parse_authorization_request,
    parse_destruction_notification,
    parse_originating_agency_request,
)
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
)
from seda.errors import VersionMismatch
from seda.modification import ArchiveModificationNotification
from seda.restitution import ArchiveRestitutionRequest, ArchiveRestitutionRequestReply
from seda.safexml import parse_bytes
from seda.versions import AnyVersion, Seda1Version, SedaVersion, any_version_from_namespace

Message = (
    Acknowledgement
    | ArchiveDeliveryRequest
    | ArchiveDeliveryRequestReply
    | ArchiveRestitutionRequest
    | ArchiveRestitutionRequestReply
    | AuthorizationOriginatingAgencyRequest
    | AuthorizationOriginatingAgencyRequestReply
    | AuthorizationControlAuthorityRequest
    | AuthorizationControlAuthorityRequestReply
    | ArchiveDestructionNotification
    | ArchiveModificationNotification
)
MESSAGE_TYPES: tuple[type[Any], ...] = Message.__args__

_SPECS: dict[type[Any], dict[str, exchange.Spec]] = {
    **acknowledgement.SPECS,
    **communication.SPECS,
    **restitution.SPECS,
    **elimination.SPECS,
    **modification.SPECS,
}
# The 2.x requests and notification of an elimination describe their units (seda.destruction).
_BUILT_2X: dict[type[Any], Callable[[SedaVersion, Any], bytes]] = {
    AuthorizationControlAuthorityRequest: build_authorization_request,
    AuthorizationOriginatingAgencyRequest: build_originating_agency_request,
    ArchiveDestructionNotification: build_destruction_notification,
}
_PARSED_2X: dict[str, Callable[[bytes], tuple[SedaVersion, Any]]] = {
    "AuthorizationControlAuthorityRequest": parse_authorization_request,
    "AuthorizationOriginatingAgencyRequest": parse_originating_agency_request,
    "ArchiveDestructionNotification": parse_destruction_notification,
}


def build_message(version: AnyVersion, message: Message) -> bytes:
    """The message in `version`, UTF-8 with an XML declaration; VersionMismatch when the version
    has no such message or cannot carry one of its values."""
    if isinstance(version, SedaVersion) and type(message) in _BUILT_2X:
        return _BUILT_2X[type(message)](version, message)
    family = "1.0" if isinstance(version, Seda1Version) else "2"
    spec = _SPECS.get(type(message), {}).get(family)
    if spec is None:
        raise VersionMismatch(f"{type(message).__name__} n'existe pas en SEDA {version.value}")
    return exchange.build(spec, version, message)


def parse_message(data: bytes) -> tuple[AnyVersion, Message]:
    """The version and the dataclass of an exchange message (no schema validation here)."""
    root = parse_bytes(data).getroot()
    version = any_version_from_namespace(etree.QName(root).namespace)
    name = etree.QName(root).localname
    if isinstance(version, SedaVersion) and name in _PARSED_2X:
        return _PARSED_2X[name](data)
    found: tuple[AnyVersion, Message] = exchange.parse(_SPECS, data)
    return found
