"""Source paths are stored and shown normalised (regression: ``xcat catalogs`` showed
``<repo>/../shared/data/...`` for a file given as ``../shared/data/...``)."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run


def test_ingested_file_path_is_normalised(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "stars.csv").write_text("id,ra,dec\n1,10.0,20.0\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    store = tmp_path / "store"
    run(store, "ingest", "table", str(Path("..") / "data" / "stars.csv"), "--name", "stars",
        "--key", "id")
    out = run(store, "catalogs", "--format", "csv")
    assert str(data / "stars.csv") in out
    assert "/../" not in out and "\\..\\" not in out
