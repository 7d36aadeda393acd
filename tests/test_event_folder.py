"""Atomic replacement of event folders and files."""

from __future__ import annotations

import pytest

from realtime.event_folder import replacing_folder, write_atomic


def test_replacing_folder_swaps_the_whole_folder(tmp_path):
    target = tmp_path / "20180220163351"
    with replacing_folder(target) as staging:
        (staging / "impact.json").write_text("{}")  # ours: an earlier system's folder would be set aside
        (staging / "a.txt").write_text("first")
        (staging / "old-only.txt").write_text("x")
    with replacing_folder(target) as staging:
        assert (target / "a.txt").read_text() == "first"  # readers still see the old run
        (staging / "impact.json").write_text("{}")
        (staging / "a.txt").write_text("second")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "impact.json"]
    assert (target / "a.txt").read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["20180220163351"]  # no temp folders left


def test_failure_keeps_the_previous_products(tmp_path):
    target = tmp_path / "event"
    with replacing_folder(target) as staging:
        (staging / "impact.json").write_text("good")
    with pytest.raises(RuntimeError):
        with replacing_folder(target) as staging:
            (staging / "impact.json").write_text("half")
            raise RuntimeError("render failed")
    assert (target / "impact.json").read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["event"]


def test_write_atomic(tmp_path):
    path = tmp_path / "deep" / "file.bin"
    write_atomic(path, b"one")
    write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["file.bin"]
