"""An acte as the TdT (S²LOW, FAST, Stela) exports it: the acte message
``{IDActe}-1-1_0.xml``, the files it names (``-1-1_1.*`` the acte, ``-1-1_2.*``… the annexes,
possibly prefixed by a typology code such as ``99_AU-``), the préfecture's acknowledgement
``{IDActe}-1-2.xml``, and whatever else the export holds (the TdT envelope ``EACT--….xml``, the
acquittal slip): in a folder, a zip or the TdT's tar.gz. One dossier per acte, keyed by IDActe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ged.adapters.inbound.actes import (
    FILE_NAME,
    NATURES,
    Acknowledgement,
    ActeMessage,
    parse_acknowledgement,
    parse_acte,
)
from ged.adapters.inbound.sources import InputLimits
from ged.adapters.inbound.xmlread import read_xml
from ged.domain.inbound import Profile, link_key
from ged.domain.model import Metadata
from ged.services.inbound.model import BusinessEvent, InboundBundle, InboundDocument, Parsed, Source
from kernel.errors import Issue

DECISION = "date de la décision"
ACKNOWLEDGED = "date de l'accusé de réception"
_ENVELOPE = re.compile(r"^EACT--.*\.xml$", re.IGNORECASE)


@dataclass(frozen=True)
class _Acte:
    id_acte: str
    message_member: str
    message: ActeMessage
    acknowledgement: Acknowledgement
    acknowledgement_member: str


def read_actes(source: Source, limits: InputLimits) -> Parsed:
    issues: list[Issue] = []
    files = _by_basename(source, issues)
    found = _message(files, issues)
    if found is None:
        return Parsed(source, None, issues)
    id_acte, member = found
    root = read_xml(source, member, limits, issues)
    message = parse_acte(root, member, issues) if root is not None else None
    if message is not None:
        _check_id(id_acte, message, member, issues)
    acknowledgement = _acknowledgement(source, files, id_acte, limits, issues)
    named = _named(message, id_acte, files, issues) if message else []
    others = _others(files, id_acte, {member, *named}, issues, message is not None)
    if message is None or acknowledgement is None or not _complete(message, named):
        return Parsed(source, None, issues)
    acte = _Acte(id_acte, member, message, acknowledgement, files[f"{id_acte}-1-2.xml"])
    return Parsed(source, _bundle(acte, named, others), issues)


def _by_basename(source: Source, issues: list[Issue]) -> dict[str, str]:
    """Members by file name: the TdT's tar.gz may hold them in a folder."""
    files: dict[str, str] = {}
    for name in source.names():
        base = name.rsplit("/", 1)[-1]
        if base in files:
            message = f"deux fichiers nommés {base} : {files[base]} et {name}"
            issues.append(Issue("actes_duplicate_file", message, path=name))
        files[base] = name
    return files


def _message(files: dict[str, str], issues: list[Issue]) -> tuple[str, str] | None:
    messages = [
        (match["id"], member)
        for base, member in sorted(files.items())
        if (match := FILE_NAME.match(base))
        and (match["flux"], match["n"], match["ext"].lower()) == ("1-1", "0", "xml")
    ]
    if len(messages) == 1:
        return messages[0]
    if not messages:
        message = "aucun message d'acte {IDActe}-1-1_0.xml (ACTES v1.1) dans l'entrée"
        issues.append(Issue("actes_message_missing", message))
    else:
        listed = ", ".join(m for _, m in messages)
        issues.append(Issue("actes_several_messages", f"un seul acte par import : {listed}"))
    return None


def _check_id(id_acte: str, message: ActeMessage, where: str, issues: list[Issue]) -> None:
    """The IDActe of the file names must say what the message says (date, number, nature)."""
    match = FILE_NAME.match(f"{id_acte}-1-1_0.xml")
    assert match is not None  # the name matched already
    said = {
        "date de décision": (match["date"], _compact(message.decided_on)),
        "numéro interne": (match["numero"], message.number),
        "nature": (match["nature"], NATURES.get(message.nature_code, ("",))[0]),
    }
    for what, (in_id, in_message) in said.items():
        if in_message and in_id != in_message:
            text = f"l'IDActe {id_acte} porte {in_id} pour {what}, le message {in_message}"
            issues.append(Issue("actes_id_mismatch", text, path=where))
    if match["nature"] not in {code for code, _ in NATURES.values()}:
        text = f"nature « {match['nature']} » de l'IDActe inconnue (DE, AR, AI, CC, BF, AU)"
        issues.append(Issue("actes_unknown_nature", text, path=where))


def _compact(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _acknowledgement(
    source: Source, files: dict[str, str], id_acte: str, limits: InputLimits, issues: list[Issue]
) -> Acknowledgement | None:
    member = files.get(f"{id_acte}-1-2.xml")
    if member is None:
        message = f"accusé de réception de la préfecture {id_acte}-1-2.xml absent"
        issues.append(Issue("actes_acknowledgement_missing", message))
        return None
    root = read_xml(source, member, limits, issues)
    found = parse_acknowledgement(root, member, issues) if root is not None else None
    if found is not None and found.id_acte != id_acte:
        message = f"l'accusé de réception est celui de l'acte {found.id_acte}, pas de {id_acte}"
        issues.append(Issue("actes_acknowledgement_mismatch", message, path=member))
    return found


def _named(
    message: ActeMessage, id_acte: str, files: dict[str, str], issues: list[Issue]
) -> list[str]:
    """The members of the acte and its annexes, each file the message names present and
    carrying the acte's IDActe."""
    members = []
    for name in (message.document, *message.annexes):
        match = FILE_NAME.match(name)
        if match is None or match["id"] != id_acte:
            text = f"{name}, nommé par le message, ne porte pas l'IDActe {id_acte}"
            issues.append(Issue("actes_file_id_mismatch", text, path=name))
        if name not in files:
            issues.append(Issue("actes_file_missing", f"{name}, nommé par le message, absent"))
        else:
            members.append(files[name])
    return members


def _others(
    files: dict[str, str], id_acte: str, used: set[str], issues: list[Issue], message_read: bool
) -> list[str]:
    """The rest of the export, kept as pieces of the dossier — unless it belongs to another
    acte, or is a transmitted file the message does not name (when the message could be read)."""
    kept = []
    for base, member in sorted(files.items()):
        match = FILE_NAME.match(base)
        if member in used or base == f"{id_acte}-1-2.xml":
            continue
        if match is not None and match["id"] != id_acte:
            text = f"{base} appartient à l'acte {match['id']}, pas à {id_acte}"
            issues.append(Issue("actes_foreign_file", text, path=member))
        elif match is not None and match["flux"] == "1-1" and message_read:
            text = f"{base} n'est pas nommé par le message de l'acte"
            issues.append(Issue("actes_file_not_named", text, path=member))
        else:
            kept.append(member)
    return kept


def _complete(message: ActeMessage, named: list[str]) -> bool:
    """Enough to make the dossier of (whether or not other problems refuse it)."""
    found = message.decided_on is not None and message.nature is not None and message.number
    return bool(found) and len(named) == 1 + len(message.annexes)


def _bundle(acte: _Acte, named: list[str], others: list[str]) -> InboundBundle:
    message, ack = acte.message, acte.acknowledgement
    assert message.decided_on is not None and message.nature is not None
    letters, label = message.nature
    description = (
        f"{label} n° {message.number} du {message.decided_on:%d/%m/%Y}, matière "
        f"{message.matiere}, transmis au contrôle de légalité (IDActe {acte.id_acte})"
    )
    events = [BusinessEvent(DECISION, message.decided_on)]
    if ack.received_on is not None:
        events.append(BusinessEvent(ACKNOWLEDGED, ack.received_on))
    return InboundBundle(
        profile=Profile.ACTES,
        business_id=acte.id_acte,
        title=message.objet,
        reference=acte.id_acte,
        description=description,
        opened_on=message.decided_on,
        documents=tuple(_documents(acte, named, others)),
        events=tuple(events),
        plan_keys=_plan_keys(letters, message.matieres),
        acte_link=(link_key(message.number, message.decided_on), message.number),
    )


def _plan_keys(letters: str, matieres: tuple[str, ...]) -> tuple[str, ...]:
    """From the most specific entry of ``[inbound.actes.plan]`` to the catch-all."""
    deeper = [f"{letters} {'.'.join(matieres[:n])}" for n in range(len(matieres), 0, -1)]
    return (*deeper, letters, "*")


def _documents(acte: _Acte, named: list[str], others: list[str]) -> list[InboundDocument]:
    fields = _acte_fields(acte)
    message = acte.message
    nature_label = message.nature[1] if message.nature else ""
    main, *annexes = named
    docs = [
        _doc(main, message.objet, "acte", fields, keywords=[nature_label, "contrôle de légalité"]),
        *(
            _doc(m, f"Annexe {i} : {message.objet}", "annexe", _short(acte))
            for i, m in enumerate(annexes, start=1)
        ),
        _doc(acte.message_member, "Message ACTES de l'acte", "message_actes", fields),
        _doc(
            acte.acknowledgement_member,
            "Accusé de réception de la préfecture",
            "accuse_reception",
            fields,
        ),
    ]
    for member in others:
        base = member.rsplit("/", 1)[-1]
        kind = "enveloppe_tdt" if _ENVELOPE.match(base) else "piece_tdt"
        docs.append(_doc(member, base, kind, _short(acte)))
    return docs


def _doc(
    member: str,
    title: str,
    kind: str,
    extra: dict[str, str],
    keywords: list[str] | None = None,
) -> InboundDocument:
    match = FILE_NAME.match(member.rsplit("/", 1)[-1])
    typology = {"typologie": match["typology"]} if match and match["typology"] else {}
    metadata = Metadata(
        title=title[:1000],
        document_type=kind,
        keywords=[k for k in keywords or [] if k],
        created_on=_date(extra.get("date_decision")),
        received_on=_date(extra.get("date_accuse_reception")),
        extra={**extra, **typology},
    )
    return InboundDocument(member, metadata)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _short(acte: _Acte) -> dict[str, str]:
    return {"id_acte": acte.id_acte, **_dates(acte)}


def _dates(acte: _Acte) -> dict[str, str]:
    found = {
        "date_decision": acte.message.decided_on,
        "date_accuse_reception": acte.acknowledgement.received_on,
    }
    return {k: v.isoformat() for k, v in found.items() if v is not None}


def _acte_fields(acte: _Acte) -> dict[str, str]:
    """What the GED keeps of the acte (ACTES v1.1 field → metadata)."""
    message, ack = acte.message, acte.acknowledgement
    letters, label = message.nature or ("", "")
    fields = {
        "id_acte": acte.id_acte,
        "nature": letters,
        "nature_libelle": label,
        "code_nature_acte": message.nature_code,
        "matiere": message.matiere,
        "numero_interne": message.number,
        "objet": message.objet,
        "version_classification": _iso(message.classification_on),
        "version_classification_prefecture": _iso(ack.classification_in_force),
        **_dates(acte),
    }
    return {k: v for k, v in fields.items() if v}


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
