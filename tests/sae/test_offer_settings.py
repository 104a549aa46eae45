"""sae.toml's storage options: two offers on different backends when the platform requires it,
and an S3 offer's Object Lock (compliance mode) with the lock of an archive that has no end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel.accounts.setup import OIDC_KEYS
from kernel.blobstore.s3 import S3BlobStore
from kernel.retention import Duration
from sae import config as sae_config
from sae.bootstrap import build_config
from sae.config import SaeMisconfigured, load_settings

DISK = '[offers.disque]\nkind = "filesystem"\nroot = "offers/disque"\n'
DISK_2 = '[offers.disque-2]\nkind = "filesystem"\nroot = "/mnt/autre-disque"\n'


def s3(name: str, endpoint: str = "http://minio:9000", extra: str = "") -> str:
    return (
        f'[offers.{name}]\nkind = "s3"\nbucket = "archives"\nendpoint_url = "{endpoint}"\n{extra}'
    )


def offers_of(home: Path, text: str) -> list[S3BlobStore | object]:
    (home / "sae.toml").write_text(f'organisation = "ARCH"\n{text}', encoding="utf-8")
    return list(build_config(load_settings(home)).offers_under(""))


def test_two_volumes_are_one_backend_when_two_are_required(tmp_path: Path) -> None:
    with pytest.raises(SaeMisconfigured) as refused:
        offers_of(tmp_path, f"require_two_backends = true\n{DISK}{DISK_2}")
    assert "deux offres de stockage sur des supports différents" in refused.value.detail


def test_one_offer_is_refused_when_two_backends_are_required(tmp_path: Path) -> None:
    with pytest.raises(SaeMisconfigured):
        offers_of(tmp_path, f"require_two_backends = true\n{s3('minio')}")


def test_a_volume_and_an_s3_bucket_are_two_backends(tmp_path: Path) -> None:
    found = offers_of(tmp_path, f"require_two_backends = true\n{DISK}{s3('minio')}")
    assert [offer.name for offer in found] == ["disque", "minio"]  # type: ignore[attr-defined]


def test_two_buckets_count_as_two_backends_only_on_two_endpoints(tmp_path: Path) -> None:
    same = f"require_two_backends = true\n{s3('a')}{s3('b')}"
    with pytest.raises(SaeMisconfigured):
        offers_of(tmp_path, same)
    apart = f"require_two_backends = true\n{s3('a')}{s3('b', 'https://s3.autre.example')}"
    assert len(offers_of(tmp_path, apart)) == 2


def test_two_volumes_are_accepted_when_the_platform_does_not_require_two_backends(
    tmp_path: Path,
) -> None:
    assert len(offers_of(tmp_path, f"{DISK}{DISK_2}")) == 2


def test_an_s3_offer_locks_nothing_unless_object_lock_is_set(tmp_path: Path) -> None:
    [offer] = offers_of(tmp_path, s3("minio"))
    assert isinstance(offer, S3BlobStore) and offer.keep_minimum is None


def test_object_lock_keeps_an_archive_with_no_end_ten_years_unless_configured(
    tmp_path: Path,
) -> None:
    [default] = offers_of(tmp_path, s3("minio", extra="object_lock = true\n"))
    [configured] = offers_of(
        tmp_path, s3("minio", extra='object_lock = true\nobject_lock_keep = "P30Y"\n')
    )
    assert isinstance(default, S3BlobStore) and default.keep_minimum == Duration(years=10)
    assert isinstance(configured, S3BlobStore)
    assert configured.keep_minimum == Duration(years=30)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('object_lock = "oui"\n', "object_lock vaut true ou false"),
        ('object_lock = true\nobject_lock_keep = "illimitée"\n', "durée finie"),
        ('object_lock = true\nobject_lock_keep = "bientôt"\n', "object_lock_keep"),
    ],
)
def test_an_unusable_object_lock_option_is_refused_with_its_name(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(SaeMisconfigured) as refused:
        offers_of(tmp_path, s3("minio", extra=extra))
    assert message in refused.value.detail


def test_every_option_sae_toml_accepts_is_documented_where_the_options_are_read() -> None:
    """The module docstring of ``sae.config`` is the operator's reference for ``sae.toml``: a
    secret counts as documented by its ``NAME_file`` form (the docstring says ``NAME_env``)."""
    documented = sae_config.__doc__ or ""
    keys = [
        *(key for key in sae_config.config_schema() if key not in sae_config.LEGACY_KEYS),
        *(key for kind in sae_config.OFFER_KEYS.values() for key in kind),
        *sae_config.DATABASE_KEYS,
        *OIDC_KEYS,
    ]
    assert "NAME_file or NAME_env" in documented
    missing = [
        key
        for key in keys
        if not re.search(
            rf"\b{key.removesuffix('_env').removesuffix('_file')}(_file)?\b", documented
        )
    ]
    assert missing == []
