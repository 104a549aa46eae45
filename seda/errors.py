"""Exceptions raised by the SEDA library. Each carries a stable snake_case `code`.

`SedaError` is the base. Refusals of hostile or malformed input are raised before anything is
written; the validator turns them into one fatal Issue carrying the same code.
"""

from __future__ import annotations


class SedaError(Exception):
    """Base of every error of the `seda` library."""

    code = "seda_error"

    def __init__(self, message: str, *, code: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.line = line


class HostileXml(SedaError):
    """The XML uses a feature we never process (DTD, entities) or exceeds a resource limit."""

    code = "xml_hostile"


class MalformedXml(SedaError):
    """The bytes are not well-formed XML."""

    code = "xml_malformed"


class NotSeda(SedaError):
    """The root element is not in a SEDA namespace, or is not the expected message."""

    code = "seda_not_a_message"


class UnsupportedSedaVersion(SedaError):
    """The root namespace names a SEDA version this library does not handle."""

    code = "seda_version_unsupported"


class HostilePackage(SedaError):
    """The package (zip or tar) holds an entry we refuse before extracting anything."""

    code = "sip_hostile"


class UnreadablePackage(SedaError):
    """The package cannot be opened or has no manifest."""

    code = "sip_unreadable"


class SchemaUnavailable(SedaError):
    """The schema set needed for validation is not installed where we were told to look."""

    code = "schema_unavailable"


class VersionMismatch(SedaError):
    """The model uses an element that does not exist in the SEDA version being written."""

    code = "seda_version_mismatch"


class InvalidXmlCharacter(SedaError):
    """A value holds a character XML 1.0 cannot carry, or a verbatim element is not XML."""

    code = "xml_invalid_character"


class MetadataInvalid(SedaError):
    """The metadata given for a disk import (CSV or side file) cannot be used."""

    code = "metadata_invalid"


class InvalidRule(SedaError):
    """A management rule the SEDA schema cannot carry (a missing mandatory part, a value outside
    its code list, PreventInheritance together with RefNonRuleId)."""

    code = "seda_rule_invalid"


class UnmappedRule(SedaError):
    """A rule of ours has no counterpart in the target's vocabulary (SEDA 1.0: no AR code for an
    access rule, no duration for an appraisal rule): the message names it and is not written."""

    code = "seda_rule_unmapped"


class MissingValue(SedaError):
    """The target version requires a value the model does not give (a title, a description
    level, a rule's start date in SEDA 1.0…)."""

    code = "seda_value_missing"


class EmptyIdentifier(SedaError):
    """An identifier of the message is empty (`IdentifierType` is a non-empty token)."""

    code = "seda_empty_identifier"


class NoUnit(SedaError):
    """A message that acts on archives must name at least one (`UnitIdentifier` is 1..n)."""

    code = "seda_no_unit"


class MessageDescriptionInvalid(SedaError):
    """The JSON description of an exchange message cannot be turned into that message."""

    code = "seda_message_description_invalid"


class UnreadableValue(SedaError):
    """A value of the message (a date, a number) cannot be read as its type says."""

    code = "seda_value_unreadable"
