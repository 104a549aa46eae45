"""The glossary (glossaire): the archivists' words the pages use, explained in plain French.
Open to everyone, logged in or not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from ged.domain.access import Principal
from ged.web.render import render
from ged.web.security import csrf_protect, current_user

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

TERMS: list[tuple[str, str]] = [
    (
        "Accord de versement",
        "Convention entre un service versant et un service d'archives : ce qui est versé, sous quelle forme, selon quel profil.",
    ),
    (
        "Accusé de réception",
        "Message du service d'archives qui confirme avoir reçu un versement, avant de l'avoir contrôlé.",
    ),
    (
        "Âge courant",
        "Période où le dossier sert au traitement des affaires ; il reste dans le service.",
    ),
    (
        "Âge intermédiaire",
        "Période où le dossier, clos, n'est plus utilisé couramment mais doit être conservé pendant sa DUA.",
    ),
    (
        "Archives définitives",
        "Documents conservés sans limite de durée pour leur intérêt historique, après versement au service d'archives.",
    ),
    (
        "Bordereau",
        "Liste descriptive qui accompagne un versement ou une élimination ; ici au format SEDA.",
    ),
    (
        "Communicabilité",
        "Délai au terme duquel un document peut être communiqué à toute personne qui le demande (Code du patrimoine, art. L213-2).",
    ),
    (
        "Contrôle",
        "Examen d'un versement reçu par l'archiviste du service d'archives, qui l'accepte ou le refuse.",
    ),
    (
        "DUA (durée d'utilité administrative)",
        "Durée pendant laquelle un dossier doit être conservé par le service ; elle court à partir d'un point de départ (clôture, date d'un événement…).",
    ),
    (
        "Dossier",
        "Ensemble de documents réunis pour une même affaire, classé dans le plan de classement.",
    ),
    (
        "Élimination",
        "Destruction des dossiers dont la DUA est échue et le sort final est la destruction, après le visa de l'archiviste.",
    ),
    (
        "Empreinte",
        "Suite de caractères calculée à partir du contenu d'un fichier (SHA-256) : elle change si un seul octet change.",
    ),
    (
        "Gel",
        "Mesure qui suspend le cycle de vie d'un dossier (contentieux, enquête) : il ne peut être ni versé ni éliminé.",
    ),
    (
        "GED",
        "Gestion électronique des documents : le classement et la conservation des documents des services.",
    ),
    (
        "Journal des opérations",
        "Registre inaltérable de toutes les actions : chaque entrée est chaînée à la précédente.",
    ),
    (
        "Offre de stockage",
        "Lieu de stockage du service d'archives ; chaque archive est conservée sur plusieurs offres.",
    ),
    ("Plan de classement", "Arborescence des rubriques dans lesquelles les dossiers sont classés."),
    (
        "PRONOM",
        "Registre international des formats de fichiers, tenu par les Archives nationales du Royaume-Uni.",
    ),
    (
        "Réponse au versement",
        "Message du service d'archives qui accepte ou refuse un versement, avec ses motifs.",
    ),
    (
        "SAE",
        "Système d'archivage électronique : il conserve les archives versées et garantit leur intégrité.",
    ),
    (
        "Scellement du journal",
        "Signature périodique du journal des opérations, qui rend toute modification détectable.",
    ),
    ("Service d'archives", "Service qui reçoit, contrôle et conserve les archives versées."),
    (
        "Service producteur",
        "Service qui a créé ou reçu les documents dans l'exercice de ses missions.",
    ),
    ("Service versant", "Service qui transfère les archives au service d'archives."),
    (
        "Sort final",
        "Ce qui advient d'un dossier au terme de sa DUA : conservation définitive, destruction, ou tri (examen au cas par cas).",
    ),
    (
        "Tableau de gestion",
        "Liste des règles qui fixent, pour chaque type de dossier, sa DUA, son point de départ et son sort final.",
    ),
    ("Versement", "Transfert de dossiers au service d'archives, accompagné de leur bordereau."),
    (
        "Visa",
        "Accord de l'archiviste, préalable à toute élimination (Code du patrimoine, art. R212-14).",
    ),
]


async def maybe_user(request: Request) -> Principal | None:
    if not request.session.get("sid"):
        return None
    person: Principal = await current_user(request)
    return person


@router.get("/glossaire")
async def glossary(
    request: Request, user: Annotated[Principal | None, Depends(maybe_user)]
) -> Response:
    return render(request, "glossaire.html", title="Glossaire", terms=TERMS)
