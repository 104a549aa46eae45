"""Pinned download addresses and SHA-256 digests of the official SEDA schema documents.

The SIAF publishes SEDA in the repository culturecommunication/seda, one branch per version
(1.0, 2.1, 2.2, 2.3). The two W3C schema documents that SEDA 2.x imports (xml.xsd, xlink.xsd) are
pinned from ProgrammeVitam/sedatools, which carries verbatim copies. Every file is identified by
a commit, so the bytes cannot change under us; the digest is checked again at install time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

RAW_BASE = "https://raw.githubusercontent.com"
SEDA_VERSIONS = ("1.0", "2.1", "2.2", "2.3")
# SEDA 1.0 is installed too: As@lae and Pastell profiles still exchange it.
DEFAULT_VERSIONS = SEDA_VERSIONS
W3C = "w3c"


@dataclass(frozen=True)
class PinnedFile:
    """One schema document: where it is published and what its bytes must hash to."""

    group: str  # a SEDA version, or "w3c"
    repo: str
    commit: str
    path: str
    size: int
    sha256: str

    @property
    def url(self) -> str:
        return f"{RAW_BASE}/{self.repo}/{self.commit}/{self.path}"

    @property
    def relative_path(self) -> str:
        """Where the file lives inside an installed schema folder (and in a source folder)."""
        if self.group == W3C:
            return f"{W3C}/{PurePosixPath(self.path).name}"
        return f"{self.group}/{PurePosixPath(self.path).relative_to('schema')}"


def _pin(group: str, repo: str, commit: str, path: str, size: int, sha256: str) -> PinnedFile:
    return PinnedFile(group, repo, commit, path, size, sha256)


PINS: tuple[PinnedFile, ...] = (
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/seda_v1-0.xsd",
        704,
        "d4e9f3134026efae3daa903464070bf8979bbf11b8e0308c9c14aec2bd0d63ce",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/UnqualifiedDataType_10p0.xsd",
        43631,
        "e5125aa09656637ac680a2dfe8acf1e69a824e12799f626f5ba772f9b61443b3",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/XAdESv141.xsd",
        1028,
        "6fa2ad4c6169d342ea063487860106d12c64de80fa7510f4f94d62a96a24d623",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/IANA_CharacterSetCode_20101104.xsd",
        63289,
        "0bbd555655901d228baeb983a77d6fd960454d3553a26db5cf6d6b74e6366dd3",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/IANA_MIMEMediaType_20110216.xsd",
        351195,
        "f3165848a6c511ebce1e0bdb700f68e000fb76bce8e4a75d76759173c8b529f6",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/ISO_ISO3AlphaCurrencyCode_20110218.xsd",
        38045,
        "e1e8643f14ed5ceb5d7a2c2e20bb23ae6f39cb3515e8e1c5878ce0af960bdeba",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/ISO_ISOTwoletterCountryCode_SecondEdition2006VI-8.xsd",
        49907,
        "e00bae59ad39af2ed8cac0a701437ccc196c0e1081600fdac01701ecc0ff333f",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/UNECE_AgencyIdentificationCode_D10A.xsd",
        131052,
        "d41f84760d6b7c8115569a1104d8d816fac2a4bf756a62757916cfc619b3b945",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/UNECE_CharacterSetEncodingCode_40106.xsd",
        6280,
        "cd04df06c6265c467d030564b7bdaf24e55147d4312712812b1a011381f0afb3",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/UNECE_CommunicationMeansTypeCode_D10A.xsd",
        19672,
        "ffedf61cc3a156658a7267782f5fef60be49718b4d41d6a78b5bc8245f3ccb8e",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/UNECE_MeasurementUnitCommonCode_7.xsd",
        417626,
        "5c1a2b87cde128912520209c23e99b0fb700fea0d684581a1d0069639e909565",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_accessrestriction_code.xsd",
        18153,
        "8c4bc53618770b7339877addf6263abf6a044eaaba1d15f62d6ddfc629701015",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_appraisal_code.xsd",
        3126,
        "cd3c1984a1daf43742eae9eca025d88dbf114efc976ce9b2338a61ee0a790473",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_authorisationReason_code.xsd",
        2925,
        "6eeb51a72d7a5755d5986129ecaf638536f1643eea3eaba76a0321f26db3e6d0",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_descriptionlevel_code.xsd",
        8210,
        "a25fbfe69a9c6c30e3e5b4b80a996e2d76a2017cbfcf1c305df3f7a4fbfcb5fd",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_documenttype_code.xsd",
        12268,
        "1a83f7e9f4e74d118e1268c461a9eb7b852a2343077caee3abbfa1fcd789a509",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_filetype_code.xsd",
        155353,
        "e01ec6a6cc28b726e510bd17678f8ea365cf749a40fe1b84cab3e17ed1e38f84",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_keywordtype_code.xsd",
        4806,
        "d27d432b759293fa7dc263d30ec448f8960b1f9af5a21ab0980e3e7d250688a7",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_language_code.xsd",
        1305463,
        "46201479eee72ad0106de7593c9d899fc98d87457d3ab881112155599103c1b1",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/codes/seda_v1-0_unitidentifier_code.xsd",
        5918,
        "f943c2b50a552f6dd08ded995a2030cf3ee718d7afd155f6940783aa0e501838",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/othermetadata.xsd",
        1430,
        "8070ae96a8dd3a6894093201b85244825e5831793af6c1453fe277d3d4b09c8e",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_QualifiedDataType.xsd",
        27108,
        "dfd8bf78a3971606dcb3d15bb0c6010c40444937c9b170f474404f9af76d5eaf",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_acknowledgement.xsd",
        9976,
        "aa097a572ca24cd88698364bd028c4edf20c8caa7c975fc00a41832131fd2a05",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archive.xsd",
        107469,
        "c353ed9c1e8f19bf3e43b4415054a1ffe27a216f982a5c4db52fd2c948c4ff6e",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archivedelivery.xsd",
        22502,
        "09933d75e6f7f8513a7a07266860cde783df43c7b466331b869a86de9c1b3de9",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archivedestruction.xsd",
        11447,
        "5f44c93a28b3fd3483766ba793641aec2bdaf207b2a14db7dbdd7f93306139bb",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archivemodification.xsd",
        15187,
        "81b5d576c56d4d5d62d0029ec5a50a8f9d0a5eb2c3730c0ed7e178ff5abb67fc",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archiverestitution.xsd",
        29814,
        "5188571d8b6c05057a7acb151efa4b6a794b5fbbdabb74a65523a74dda6c5010",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archivetransfer.xsd",
        28047,
        "dacc8ad9900aeea38bc113a55813a4062e74b3e92bb7d25a7a182e6a73ae739f",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_archivetransferrequest.xsd",
        28355,
        "2ae8c088a3b828d7d9a7dad411aa239a6ba8b2d923e770f74805f0d9d4fca873",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_authorization.xsd",
        49073,
        "fedf701edf7d2b8b835dcb68401ad2bc1e5aec0e8db6f925c677e9c6f532da18",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_organization.xsd",
        25952,
        "44da7f3eb1a3f68b36331362dfea10c412ceef8fc034923e57033a0572a381e1",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/seda_v1-0_signature.xsd",
        5915,
        "18becdb65411e051c3cdaa7a66fe346365257c696b241df1396676fe11eace1b",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/xades.xsd",
        21437,
        "7a4a972a80268a3411b73996c2ceac2e0b2999368acc49fc77c5c8725b5ca0d3",
    ),
    _pin(
        "1.0",
        "culturecommunication/seda",
        "fa126e065d5ae9ca5edb9b31fdd6c95bb25a818d",
        "schema/v10/xmldsig-core-schema.xsd",
        10300,
        "e46b19cd00928ca64fe41ef955b871b515650a5adddbb0fc89cd0d393b1d9883",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-descriptive.xsd",
        4629,
        "5cbb1a56b19f261975489cb649d326330446d59edd08573cf6696653c0468bcc",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-main.xsd",
        47820,
        "3d07557d175b5a1db697ff9d6c64d061e976598487f7cd2f95ccdc8c0c542d63",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-management.xsd",
        23725,
        "fd59f932ad607f94502879f761961e6e25b9e286e779f803b4c1dd6f3f0f2f5c",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-ontology.xsd",
        54267,
        "527b6cb49a6a14b706b3158a5234d97d855f5535c19ac7ee45377020bb227284",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-technical.xsd",
        26317,
        "e8b95532567adf7727e37ee1c4a88cb321593527d34da0a3100dcc9f81b87701",
    ),
    _pin(
        "2.1",
        "culturecommunication/seda",
        "4b3bd25414c1922545b27ba6cb9cb285c4fe15fa",
        "schema/seda-2.1-types.xsd",
        17036,
        "340552ef43ddbe069424caffd2896d22a8856d089239b3f830b55af91b2a2059",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-descriptive.xsd",
        4629,
        "b0da3aa101feb95248ec25b5b616f9aba3f1d35a0b2bcd111cf6db5ac59a7227",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-main.xsd",
        47820,
        "af0135f0ec8bc1324b9cd920c9f905dace593432a4118b4c495b9858ca126cce",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-management.xsd",
        29130,
        "4d625dde398533c464114b6ba5ab1f1cac7d0cf46ecff2ebb16f2e96767e17ef",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-ontology.xsd",
        56971,
        "0bdcdb6d230950e931b35c53fc9550fb18ada37947475b515eead859bf9f5742",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-technical.xsd",
        27338,
        "aaa0da363b163aa131312366b067d31baa551cbc7e70c051af04cfc16d74d8fd",
    ),
    _pin(
        "2.2",
        "culturecommunication/seda",
        "82b22bd55b8dfab4b3348d557436eaf1fbaf2a5c",
        "schema/seda-2.2-types.xsd",
        16027,
        "648e51a3b4187ca5177abd01f75eecb9787ba3d8a720350c7c7ae724472ac384",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-descriptive.xsd",
        4629,
        "f3cc1ade7afc767383847a88612e5a4c5a28b59a4d96ce78eb5eac15250635e8",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-main.xsd",
        47820,
        "6544a4c95024fe13cc6191ef2b3a0579eeab6ed01b690d84acbcd1575f6f3790",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-management.xsd",
        29130,
        "ddc5e26f0dda0cf6ccb7cc27bb6995aa54f7b524a0489e74aac0febd9fbe7ce7",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-ontology.xsd",
        66469,
        "b2121452721ed8b72c6ec3748a5361c8d6b3dad5e1ffc46695ef34089fb2fb67",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-technical.xsd",
        28016,
        "98bdf56dc9b58cded4d9990e3d6e1e59e4a7f32bbe871abde901b42df88ab29c",
    ),
    _pin(
        "2.3",
        "culturecommunication/seda",
        "ac992733b7f62a64739a9bc6bd5c95a6dfa58cbb",
        "schema/seda-2.3-types.xsd",
        16027,
        "3004167e57a2e27623268aa54763ef3291523b07ee4b7c9e98638df4c397991c",
    ),
    _pin(
        "w3c",
        "ProgrammeVitam/sedatools",
        "953e4ef71a966794fe3ef94cdb3a4fe6da2125a1",
        "sedalib/src/main/resources/w3c/2001/xml.xsd",
        8836,
        "61960fb3131e38022caad5360e2f33a3382578ab3c80cd58bd74320ede61b20c",
    ),
    _pin(
        "w3c",
        "ProgrammeVitam/sedatools",
        "953e4ef71a966794fe3ef94cdb3a4fe6da2125a1",
        "sedalib/src/main/resources/w3c/1999/xlink.xsd",
        8052,
        "4f4ff6a0d61d7b9b7d4d50a1693ebb5532e0a5bcd63bcc00a1b18798d8a1d083",
    ),
)


def pins_for(versions: tuple[str, ...]) -> tuple[PinnedFile, ...]:
    """The files to install for these SEDA versions, the W3C imports always included."""
    unknown = set(versions) - set(SEDA_VERSIONS)
    if unknown:
        raise ValueError(f"unknown SEDA version(s): {', '.join(sorted(unknown))}")
    return tuple(p for p in PINS if p.group == W3C or p.group in versions)
