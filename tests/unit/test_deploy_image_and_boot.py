"""build-image (manifest, platforms, signature), the venv installer's target checks, the boot
step's trial counting and the [firmware] table of the station file."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chargestack.deploy.boot import COUNTED, boot_active_slot
from chargestack.deploy.image_build import (
    ImageBuildError,
    build_software_image,
    compatible_platforms,
)
from chargestack.exceptions import ConfigurationError
from chargestack.files.errors import InstallationError
from chargestack.files.image import Manifest, read_image
from chargestack.files.slots import SlotRecord, Trial, read_record, write_record
from chargestack.files.venv_installer import check_target, this_environment
from chargestack.profiles.security.firmware_signature import image_digest, signature_valid
from chargestack.settings import parse_station_settings
from deploy_support import PLATFORM, PYTHON, Images
from small_filesystem import small_filesystem
from station_harness import station_config


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    return Images(tmp_path_factory.getbasetemp() / "deploy-images")


def test_image_carries_every_wheel_with_its_target(images: Images) -> None:
    manifest, contents = read_image(images.get("99.0.0"))
    assert (manifest.version, manifest.platform, manifest.python) == ("99.0.0", PLATFORM, PYTHON)
    names = {Path(n).name.split("-")[0].lower() for n in contents}
    assert {"chargestack", "pip", "pydantic", "pydantic_core", "websockets", "orjson"} <= names
    assert {"aiohttp", "cryptography", "click", "rich", "aioftp"} <= names
    assert all(n.startswith("wheels/") and n.endswith(".whl") for n in contents)
    assert check_target(manifest)  # installable here


def test_signed_image_verifies_as_signed_firmware(images: Images, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    images.get("99.0.0")  # builds the wheel when this test runs alone
    wheel = next((images.root / "wheels" / "99.0.0").glob("*.whl"))
    output = tmp_path / "signed.tar.gz"
    with pytest.MonkeyPatch.context() as patch:
        from deploy_support import wheelhouse

        patch.setenv("PIP_NO_INDEX", "1")
        patch.setenv("PIP_FIND_LINKS", str(wheelhouse()))
        build_software_image(
            "99.0.0", PLATFORM, output, wheel=wheel, python_version=PYTHON, signing_key=key_file
        )
    signature = (tmp_path / "signed.tar.gz.sig").read_text().strip()
    certificate = _self_signed(key)
    assert signature_valid(certificate, signature, image_digest(output))
    output.write_bytes(output.read_bytes() + b"\0")
    assert not signature_valid(certificate, signature, image_digest(output))


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    import datetime as dt

    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "firmware signer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("version", "platform", "python", "wheel_name", "message"),
    [
        ("", "manylinux_2_28_x86_64", "3.11", None, "--version"),
        ("1.0", "windows", "3.11", None, "--platform"),
        ("1.0", "manylinux_2_28_x86_64", "eleven", None, "--python-version"),
        ("1.0", "manylinux_2_28_x86_64", "3.11", "other-1.0-py3-none-any.whl", "not a chargestack"),
        ("1.0", "manylinux_2_28_x86_64", "3.11", "chargestack-2.0-py3-none-any.whl", "version 2.0"),
    ],
)
def test_build_image_refuses_bad_arguments(
    tmp_path: Path, version: str, platform: str, python: str, wheel_name: str | None, message: str
) -> None:
    wheel = None
    if wheel_name is not None:
        wheel = tmp_path / wheel_name
        wheel.write_bytes(b"PK")
    with pytest.raises(ImageBuildError, match=message) as raised:
        build_software_image(
            version, platform, tmp_path / "o.tar.gz", wheel=wheel, python_version=python
        )
    assert raised.value.usage
    assert not (tmp_path / "o.tar.gz").exists()


def test_compatible_platforms() -> None:
    tags = compatible_platforms("manylinux_2_28_aarch64")
    assert tags[0] == "manylinux_2_28_aarch64" and "manylinux_2_17_aarch64" in tags
    assert "manylinux2014_aarch64" in tags and "manylinux_2_34_aarch64" not in tags
    assert compatible_platforms("manylinux2014_x86_64")[0] == "manylinux_2_17_x86_64"
    assert compatible_platforms("linux_x86_64") == ["linux_x86_64"]


def _manifest(**changes: Any) -> Manifest:
    files = {
        "wheels/chargestack-2.0-cp311-abi3-manylinux_2_28_x86_64.whl": "0" * 64,
        "wheels/pip-26.0-py3-none-any.whl": "0" * 64,
    }
    fields: dict[str, Any] = {
        "version": "2.0",
        "files": files,
        "platform": f"manylinux_2_28_{os.uname().machine}",
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    fields.update(changes)
    return Manifest(**fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"platform": None, "python": None}, "carries no software"),
        ({"platform": "manylinux_2_28_riscv64"}, "this controller is"),
        ({"python": "3.99"}, "CPython 3.99"),
        ({"version": "3.0"}, "no chargestack 3.0 wheel"),
        ({"files": {"wheels/chargestack-2.0-cp311-abi3-x.whl": "0" * 64}}, "no pip wheel"),
    ],
)
def test_venv_installer_refuses_an_image_for_another_target(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InstallationError, match=message):
        check_target(_manifest(**changes))


def _trial_record(attempts: int) -> SlotRecord:
    return SlotRecord(
        active="factory",
        versions={"factory": "1.0", "A": "2.0"},
        trial=Trial(slot="factory", previous="B", job_id=5, attempts=attempts),
        environments={"factory": this_environment(), "B": this_environment()},
    )


def test_boot_step_counts_each_start_of_a_trial(tmp_path: Path) -> None:
    # The trial names the running interpreter, so the boot step continues here (no exec).
    write_record(tmp_path, _trial_record(attempts=0))
    boot_active_slot(tmp_path, max_trial_boots=2)
    assert read_record(tmp_path).trial.attempts == 1  # type: ignore[union-attr]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(COUNTED, "factory")  # exec'd by a process that counted this start
        boot_active_slot(tmp_path, max_trial_boots=2)
        assert COUNTED not in os.environ
    assert read_record(tmp_path).trial.attempts == 1  # type: ignore[union-attr]
    boot_active_slot(tmp_path, max_trial_boots=2)
    assert read_record(tmp_path).trial.attempts == 2  # type: ignore[union-attr]


def test_boot_step_on_a_full_disk_boots_without_counting_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with small_filesystem(tmp_path / "data", size_mib=1) as disk:
        write_record(disk.path, _trial_record(attempts=0))
        disk.fill()
        boot_active_slot(disk.path, max_trial_boots=2)  # continues here: no exec, no raise
        assert read_record(disk.path).trial.attempts == 0  # type: ignore[union-attr]
        assert "cannot write the boot record" in caplog.text
        disk.free()
        boot_active_slot(disk.path, max_trial_boots=2)
        assert read_record(disk.path).trial.attempts == 1  # type: ignore[union-attr]


def test_boot_step_rolls_back_after_max_trial_boots(tmp_path: Path) -> None:
    write_record(tmp_path, _trial_record(attempts=2))
    boot_active_slot(tmp_path, max_trial_boots=2)
    record = read_record(tmp_path)
    assert record is not None and record.active == "B" and record.trial is None
    assert record.rolled_back == {
        "job_id": 5,
        "reason": "slot factory did not register within 2 start(s)",
    }


def test_boot_step_gives_up_a_trial_slot_without_interpreter(tmp_path: Path) -> None:
    record = _trial_record(attempts=0)
    record.environments["factory"] = {
        "prefix": str(tmp_path / "gone"),
        "python": str(tmp_path / "gone/bin/python"),
    }
    write_record(tmp_path, record)
    boot_active_slot(tmp_path, max_trial_boots=3)
    after = read_record(tmp_path)
    assert after is not None and after.active == "B" and after.trial is None


def test_firmware_settings_are_validated(tmp_path: Path) -> None:
    def settings(**overrides: Any) -> Any:
        config = station_config("ws://127.0.0.1:9/ocpp", tmp_path, **overrides)
        return parse_station_settings(config)

    with pytest.raises(ConfigurationError, match=r"identity\.firmware_version applies only"):
        settings(firmware={"installer": "venv"})
    with pytest.raises(ConfigurationError, match=r"needs a \[firmware.command\] table"):
        settings(firmware={"installer": "command"})
    with pytest.raises(ConfigurationError, match=r"firmware\.restart"):
        settings(firmware={"installer": "simulated", "restart": "reboot"})
    assert settings().slots_dir == tmp_path / "firmware" / "slots"
