"""Exchange messages described in JSON, for `gedsae seda build`: `{"message":
"ArchiveDeliveryRequest", "message_identifier": "…", "date": "2024-06-03T14:30:00+02:00", …}`,
the other keys being the fields of the message's dataclass (seda.messages), dates in ISO 8601,
lists for repeated values, objects for nested ones (`units` of an elimination, `events`,
`producer_authorization`). A `package` (DataObjectPackage) is not described in JSON. Every
problem is reported at once, with the path of the value.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Union, get_args, get_origin, get_type_hints

from seda.errors import MessageDescriptionInvalid
from seda.messages import MESSAGE_TYPES, Message

_BY_NAME = {cls.__name__: cls for cls in MESSAGE_TYPES}


def message_from_json(data: Any) -> Message:
    if not isinstance(data, dict) or data.get("message") not in _BY_NAME:
        names = ", ".join(sorted(_BY_NAME))
        raise MessageDescriptionInvalid(f"clé « message » attendue parmi : {names}")
    problems: list[str] = []
    fields = {k: v for k, v in data.items() if k != "message"}
    message = _dataclass(_BY_NAME[data["message"]], fields, data["message"], problems)
    if problems:
        raise MessageDescriptionInvalid(" ; ".join(problems))
    result: Message = message
    return result


def _dataclass(cls: type[Any], value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, Mapping):
        problems.append(f"{path} : objet attendu")
        return None
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    problems += [f"{path}.{k} : champ inconnu" for k in value if k not in known]
    values = {}
    for name, field in known.items():
        if name in value:
            values[name] = _value(hints[name], value[name], f"{path}.{name}", problems)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.append(f"{path}.{name} : valeur requise")
    return cls(**values) if not problems else None


def _value(hint: Any, value: Any, path: str, problems: list[str]) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:
        if not isinstance(value, list):
            problems.append(f"{path} : liste attendue")
            return ()
        return tuple(_value(args[0], v, f"{path}[{i}]", problems) for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if hint.__name__ == "DataObjectPackage":
            problems.append(f"{path} : un paquet (DataObjectPackage) ne se décrit pas en JSON")
            return None
        return _dataclass(hint, value, path, problems)
    return _scalar(hint, value, path, problems)


def _scalar(hint: Any, value: Any, path: str, problems: list[str]) -> Any:
    expected = {str: "texte", bool: "booléen", datetime: "date et heure ISO 8601", date: "date"}
    try:
        if hint in (datetime, date) and isinstance(value, str):
            return hint.fromisoformat(value)
        if hint in (str, bool) and isinstance(value, hint):
            return value
    except ValueError:
        pass
    problems.append(f"{path} : {expected.get(hint, str(hint))} attendu")
    return None
