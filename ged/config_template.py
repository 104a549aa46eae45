"""The ``config.toml`` that ``gedsae init`` writes: every key it may hold, commented out, with
its meaning, its default and its unit, so that an operator reads what can be set where it is set.

Every line stays a comment: the defaults apply until a line is uncommented, and the file is the
documentation of the instance's version. ``DESCRIPTIONS`` must describe every setting of
``ged.config.Settings`` (a test checks it), the tables list every key their readers accept.
"""

from __future__ import annotations

import textwrap
from dataclasses import fields
from typing import Any

from connectors.options import REFUSED_SWITCHES, kinds, known_options
from ged.config import SECRETS, TABLES, Settings
from ged.presentation import labels

HEADER = """\
# Configuration de l'instance gedsae ({home}).
# Chaque clé est écrite en commentaire avec sa valeur par défaut, qui s'applique tant que la ligne
# reste commentée ; les variables d'environnement GEDSAE_<CLÉ> (en majuscules) l'emportent.
# Une clé inconnue est refusée avec sa ligne. Un secret ne s'écrit jamais en clair :
# NOM_file = "/chemin/du/fichier" ou NOM_env = "NOM_DE_VARIABLE".
"""

# setting -> (what it is, unit or accepted values)
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "database_url": ("Base de données (SQLAlchemy) ; PostgreSQL : postgresql+psycopg://…", "URL"),
    "storage": ("Stockage des contenus : disque (GEDSAE_HOME/blobs) ou S3", "filesystem ou s3"),
    "s3_endpoint_url": ("Point d'accès S3 (MinIO…) ; vide : AWS", "URL"),
    "s3_bucket": ("Compartiment S3 des contenus", "nom"),
    "s3_region": ("Région S3", "nom"),
    "s3_access_key": ("Identifiant d'accès S3", "texte"),
    "s3_secret_key": ("Clé secrète S3 (secret : s3_secret_key_file ou s3_secret_key_env)", "texte"),
    "s3_prefix": ("Préfixe des clés S3", "texte"),
    "max_upload_bytes": ("Taille maximale d'un contenu déposé (413 au-delà)", "octets"),
    "host": ("Adresse d'écoute de gedsae serve", "adresse IP"),
    "port": ("Port d'écoute de gedsae serve", "port TCP"),
    "extraction_timeout_s": ("Durée maximale d'extraction du texte d'un contenu", "secondes"),
    "extraction_memory_mb": ("Mémoire maximale d'un processus d'extraction", "Mo"),
    "extraction_workers": ("Processus d'extraction de texte en parallèle", "nombre"),
    "db_busy_retries": ("Essais d'une transaction quand la base est occupée (puis 503)", "nombre"),
    "db_busy_timeout_ms": ("Attente du verrou de la base à chaque essai", "millisecondes"),
    "signing_key": ("Clé privée de signature des versements ; vide : celle de init", "chemin"),
    "signing_certificate": ("Certificat de la clé de signature ; vide : celui de init", "chemin"),
    "signing_chain": ("Chaîne de certification jointe aux signatures", "chemin"),
    "signing_key_password": (
        "Mot de passe de la clé de signature (secret : signing_key_password_file ou _env)",
        "texte",
    ),
    "tsa_url": ("Autorité d'horodatage RFC 3161 ; vide : signatures non horodatées", "URL"),
    "webhook_interval_s": ("Intervalle des envois de webhooks (0 : aucun)", "secondes"),
    "webhook_retry_base_s": ("Premier délai avant un nouvel essai, doublé ensuite", "secondes"),
    "webhook_give_up_hours": ("Durée après laquelle un envoi de webhook est abandonné", "heures"),
    "webhook_allow_private": (
        "Accepter les webhooks vers des adresses internes ou locales (false : refusées)",
        "booléen",
    ),
    "schema_dir": (
        "Schémas SEDA officiels contrôlant les paquets des applications ; vide : schemas/ ici",
        "chemin",
    ),
    "transfer_poll_interval_s": (
        "Intervalle du planificateur des versements (0 : aucun)",
        "secondes",
    ),
    "audit_interval_s": ("Intervalle de l'audit d'intégrité des contenus (0 : aucun)", "secondes"),
    "public_url": (
        "Adresse publique de l'interface web (https : cookies marqués Secure ; vide : hôte et port)",
        "URL",
    ),
    "session_secret": ("Clé de signature des cookies de session de l'interface web", "secret"),
    "session_idle_minutes": ("Session web fermée après cette inactivité", "minutes"),
    "session_absolute_hours": ("Durée maximale d'une session web", "heures"),
}

TABLES_TEXT = """\
# -- Réplique des contenus (audit et réparation) : aucune par défaut ------------------------------
# [replica]
# storage = "filesystem"                 # filesystem ou s3
# root = "/srv/replique/gedsae"          # filesystem : dossier (relatif : sous GEDSAE_HOME)
# bucket = "gedsae-replique"             # s3 : compartiment
# endpoint_url = "https://s3.example"    # s3 : point d'accès (vide : AWS)
# region = "eu-west-3"                   # s3 : région (défaut : s3_region)
# prefix = "ged/"                        # s3 : préfixe des clés (défaut : aucun)
# access_key_file = "/run/secrets/replica-access"   # s3 : secret, _file ou _env
# secret_key_file = "/run/secrets/replica-secret"   # s3 : secret, _file ou _env

# -- Connecteurs vers un service d'archives : un tableau par connecteur ----------------------------
# [connectors.NOM]
# kind = "sae_http"                      # {kinds}
# base_url = "https://sae.example"       # HTTP : adresse du service d'archives
# token_file = "/run/secrets/sae-token"  # secret (token, password…) : _file ou _env
# poll_interval = 30                     # secondes entre deux interrogations (défaut selon kind)
# max_reply_bytes = 268435456            # octets : taille maximale d'une réponse lue
# max_package_bytes = 274877906944       # sae_http : paquet communiqué ou restitué (écrit sur disque)
# connect_timeout = 15                   # secondes
# read_timeout = 300                     # secondes
# ca_bundle = "/etc/gedsae/ca.pem"       # autorité de certification privée (TLS reste vérifié)
# client_certificate = "/etc/gedsae/client.pem"   # TLS mutuel (Vitam)
# client_key = "/etc/gedsae/client.key"
# Clés acceptées selon kind :
{options}

# -- Accords de versement : un tableau par accord --------------------------------------------------
# [agreements.NOM]
# organisation = "Commune de …"          # obligatoire : l'organisation (nom ou identifiant)
# services = ["FR_DF"]                   # identifiants SEDA des services couverts (défaut : tous)
# connector = "NOM"                      # un [connectors.NOM]
# seda_version = "2.2"                   # 2.1, 2.2, 2.3, ou 1.0 (As@lae)
# archival_agency = "FR_AD"              # identifiant SEDA du service d'archives
# transferring_agency = "FR_DF"          # identifiant SEDA du service versant
# archival_agreement = "AGR-1"           # ArchivalAgreement du bordereau (défaut : aucun)
# archival_profile = "PR-1"              # ArchivalProfile du bordereau (défaut : aucun)
# archival_profile_file = "/etc/gedsae/PR-1.rng"  # profil RELAX NG des paquets des applications
# sign_package = true                    # signer le bordereau dans le paquet (false pour Vitam)
# purge = false                          # supprimer le contenu local après réponse positive vérifiée
# sip_layout = "content"                 # content, ou flat pour Maarch RM
# give_up_after_hours = 720              # heures sans réponse avant l'abandon
# [agreements.NOM.rules]                 # facultatif : nos codes de règle -> ceux du service
# "AG-08" = "APP-00012"                  # d'archives ; avec cette table, toute règle versée doit y
# "AG-08-ACC" = "ACC-00003"              # figurer (en SEDA 1.0 : un code AR038 à AR062)

# -- Ancres de confiance des signatures : certificats PEM par organisation -------------------------
# (GEDSAE_HOME/trust/ vaut pour toutes les organisations ; rien n'est téléchargé)
# [trust_anchors]
# "Commune de …" = "/etc/gedsae/confiance/commune"   # nom ou identifiant = dossier de certificats

# -- Connexion unique (OpenID Connect : ProConnect, Keycloak, LemonLDAP::NG) : aucune par défaut ----
# [oidc]
# issuer = "https://sso.example/realms/collectivite"   # émetteur (découverte .well-known)
# client_id = "gedsae"                   # identifiant du client déclaré chez le fournisseur
# client_secret_file = "/run/secrets/oidc-secret"     # secret : _file ou _env
# label = "ProConnect"                   # texte du bouton de connexion
# scopes = "openid email profile"        # portées demandées

# -- Imports des applications métier : où vont les dossiers dans le plan ---------------------------
# [inbound.actes.plan]
# "DE" = "DELIB"                         # nature (DE, AR, AI, CC, BF, AU) = code du plan
# "DE 7.1" = "DELIB-BUDGET"              # nature et matière : l'entrée la plus précise l'emporte
# "*" = "ACTES"                          # tout autre acte (sans entrée : l'acte est refusé)
# [inbound.parapheur]
# plan = "PARAPHEUR"                     # code du plan pour les dossiers du parapheur
# [inbound.seance]
# plan = "SEANCES"                       # code du plan pour les séances
"""


def render(settings: Settings) -> str:
    """The commented ``config.toml`` of an instance whose defaults are ``settings``'."""
    blocks = [HEADER.format(home=settings.home)]
    for f in fields(Settings):
        if f.name in ("home", *TABLES):
            continue
        blocks.append(_setting(f.name, getattr(settings, f.name)))
    blocks.append(TABLES_TEXT.format(kinds=" | ".join(kinds()), options=_options()))
    return "\n".join(blocks)


def _setting(name: str, default: Any) -> str:
    meaning, unit = DESCRIPTIONS[name]
    if name in SECRETS:
        return f'# {meaning} — {unit} ; défaut : aucun.\n# {name}_file = "/run/secrets/{name}"\n'
    shown = "aucun" if default == "" else _toml(default)
    if unit == "octets":
        shown = f"{shown} ({labels.size(default)})"
    return f"# {meaning} — {unit} ; défaut : {shown}.\n# {name} = {_toml(default)}\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _options() -> str:
    """Each kind's keys, secrets by their written forms only (``token_file``, ``token_env``)."""
    rows = []
    for kind in kinds():
        known = known_options(kind) or frozenset()
        shown = [k for k in known if k != "kind" and k not in REFUSED_SWITCHES]
        keys = sorted(k for k in shown if f"{k}_file" not in known)
        text = textwrap.fill(f"{kind} : {', '.join(keys)}", 96, subsequent_indent="    ")
        rows.append(textwrap.indent(text, "#   "))
    return "\n".join(rows)
