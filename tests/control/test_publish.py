"""`anpr control publish-hotlist`: a signed snapshot goes to the retained topic and a car applies it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers.hotlist import delta, read, snapshot
from helpers.uplink import Mosquitto

from anpr.cli.main import main
from anpr.control.store import open_store
from anpr.hotlist import build_hotlist, keys
from anpr.hotlist.config import HotlistConfig
from anpr.hotlist.sources import MqttSource


def _config(tmp_path: Path, port: int, key: Ed25519PrivateKey) -> Path:
    cfg = tmp_path / "control.toml"
    cfg.write_text(
        f'database_url = "sqlite:///{tmp_path / "control.sqlite"}"\n[broker]\nhost = "127.0.0.1"\nport = {port}\n'
        f'[hotlist]\ntrusted_keys = ["{keys.public_b64(key.public_key())}"]\n'
    )
    return cfg


def test_publish_then_a_car_applies_it(tmp_path: Path, broker: Mosquitto, capsys: pytest.CaptureFixture[str]) -> None:
    key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    cfg = _config(tmp_path, broker.port, key)
    doc = tmp_path / "robados-v3.anprhl"
    doc.write_bytes(snapshot(key, 3, [{"plate": "BBCL12"}, {"plate": "KZGS97"}], list_name="robados"))
    assert main(["control", "publish-hotlist", str(doc), "-c", str(cfg)]) == 0
    assert "published robados v3 (2 entries) to anpr/hotlist/robados (retained)" in capsys.readouterr().out

    car_cfg = HotlistConfig(
        csv=None, list_name="robados", trusted_keys=(keys.public_b64(key.public_key()),), mqtt=True,
        mqtt_host="127.0.0.1", mqtt_port=broker.port, https_timeout_s=10,
    )  # fmt: skip
    car = build_hotlist(car_cfg, tmp_path / "car")
    try:
        assert MqttSource(car_cfg, car, "car-1").sync_once() == "applied"  # retained: a car joining later gets it
        assert car.version() == 3 and car.match(read("KZGS97")) is not None
    finally:
        car.close()
    store = open_store(f"sqlite:///{tmp_path / 'control.sqlite'}")
    [issued] = store.hotlists()
    assert (issued["list_name"], issued["version"], issued["entries"]) == ("robados", 3, 2)
    store.close()

    # What every car would refuse is not published: unsigned, foreign key, not newer, a lone delta.
    cases = [
        (snapshot(None, 4, [{"plate": "BBCL12"}], list_name="robados"), "carries no signature"),
        (snapshot(stranger, 4, [{"plate": "BBCL12"}], list_name="robados"), "signed by key"),
        (snapshot(key, 3, [{"plate": "BBCL12"}], list_name="robados"), "not newer than the issued 3"),
        (delta(key, 3, 4, [{"plate": "DRTW55"}]), "only a snapshot"),
    ]
    for data, reason in cases:
        doc.write_bytes(data)
        assert main(["control", "publish-hotlist", str(doc), "-c", str(cfg)]) == 1
        assert reason in capsys.readouterr().err


def test_publish_without_trusted_keys_or_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    doc = tmp_path / "d.anprhl"
    doc.write_bytes(snapshot(key, 1, [{"plate": "BBCL12"}]))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'database_url = "sqlite:///{tmp_path / "c.sqlite"}"\n[broker]\nport = 1\n')
    assert main(["control", "publish-hotlist", str(doc), "-c", str(cfg)]) == 1
    assert "no trusted keys" in capsys.readouterr().err
    pub = keys.public_b64(key.public_key())
    assert main(["control", "publish-hotlist", str(doc), "-c", str(cfg), "--pub", pub]) == 1
    assert "cannot reach the broker" in capsys.readouterr().err
