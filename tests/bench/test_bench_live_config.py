"""The live benches' run config: the device's camera and list replaced by the bench's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from anpr.app.build import StartupError, open_hotlist_store
from anpr.app.config import AppConfig
from anpr.bench.live import rtsp_config


def test_a_device_config_benches_on_the_benchs_own_list(tmp_path: Path) -> None:
    # `anpr bench live -c /etc/anpr/anpr.toml` copied to a laptop: its trusted key and list sources name the
    # device's files; the bench's list is its own unsigned CSV, so none of them may stop (or feed) the run.
    device = AppConfig.model_validate(
        {
            "state_dir": str(tmp_path / "device"),
            "hotlist": {
                "trusted_keys": ["/etc/anpr/no-such-hotlist-key.pub"],
                "file": "/var/lib/anpr/no-such-list.signed",
                "fuzzy": False,
            },
        }
    )
    with pytest.raises(StartupError, match="no-such-hotlist-key"):
        open_hotlist_store(device).close()
    work = tmp_path / "bench"
    work.mkdir()
    run_cfg, cam = rtsp_config(device, "rtsp://127.0.0.1:1/cam", work, ["HZTV41", "PRKK21"])
    assert (cam.kind, cam.uri) == ("rtsp", "rtsp://127.0.0.1:1/cam")
    assert (run_cfg.hotlist.trusted_keys, run_cfg.hotlist.file, run_cfg.hotlist.fuzzy) == ((), None, False)
    store = open_hotlist_store(run_cfg)
    try:
        assert store.status().local_entries == 2
    finally:
        store.close()
