"""Classification edits (issue 11 item 4): an event changes only the fields it gives
(the history keeps every value); notes rows with a blank Class but a Best Star, Mass or
Notes import; unknown vocabulary is one clear error listing the allowed values; short
user IDs (XRBID's CXO001, M101X001) are aliases accepted wherever a source name is.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot). The notes files
are written here in XRBID's layout (CSC ID, ID, Class, Best Star, Mass, Notes).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import xcat
from tests.cli_helpers import copied_store, fails, run
from xcat.output.samples import run_sample
from xcat.science.classification import (
    classify,
    export_classifications,
    history,
    import_classifications,
)

SRC = "2CXO J140412.7+541425"


@pytest.fixture
def m101(m101_csc_dir, tmp_path):
    yield from copied_store(m101_csc_dir, tmp_path)


def current(store, key=SRC):
    return store.sql("SELECT * FROM classification_current WHERE source_key = $k",
                     {"k": key}).iloc[0]


def test_a_new_class_keeps_the_best_star_and_mass(m101):
    classify(m101, SRC, cls="XRB", best_counterpart="17", donor_class="HMXB", author="qh")
    classify(m101, SRC, cls="LMXB", author="qh")
    cur = current(m101)
    assert (cur["class"], cur["best_counterpart"], cur["donor_class"]) == ("LMXB", "17", "HMXB")
    classify(m101, SRC, best_counterpart="4", author="qh")  # only the star changes
    cur = current(m101)
    assert (cur["class"], cur["best_counterpart"], cur["donor_class"]) == ("LMXB", "4", "HMXB")
    h = history(m101, SRC)
    assert list(h["class"]) == ["XRB", "LMXB", "LMXB"]
    assert list(h["best_counterpart"]) == ["17", "17", "4"]
    assert h["in_force"].tolist() == [False, False, True]


def notes(path, rows):
    pd.DataFrame(rows, columns=["CSC ID", "ID", "Class", "Best Star", "Mass", "Notes"]
                 ).to_csv(path, index=False)
    return path


def test_partial_notes_rows_import(m101, tmp_path):
    names = list(m101.sql("SELECT name FROM csc ORDER BY name LIMIT 3")["name"])
    f1 = notes(tmp_path / "a.csv", [[names[0], "CXO001", "XRB", "12", "", "blue"],
                                    [names[1], "CXO002", "", "", "LMXB", ""],
                                    [names[2], "CXO003", "", "", "", ""]])
    assert import_classifications(m101, f1, author="qh") == {"imported": 2, "skipped": 1}
    f2 = notes(tmp_path / "b.csv", [[names[0], "CXO001", "", "", "HMXB", "bright in F814W"]])
    assert import_classifications(m101, f2, author="qh") == {"imported": 1, "skipped": 0}
    cur = current(m101, names[0])
    assert (cur["class"], cur["best_counterpart"], cur["donor_class"], cur["note"]) == (
        "XRB", "12", "HMXB", "bright in F814W")
    second = current(m101, names[1])
    assert pd.isna(second["class"]) and second["donor_class"] == "LMXB"
    assert not second["class_by_person"]
    assert list(history(m101, names[0])["note"]) == ["blue", "bright in F814W"]
    # exported and re-imported: nothing new
    back = tmp_path / "export.csv"
    export_classifications(m101).to_csv(back, index=False)
    assert import_classifications(m101, back)["imported"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--mass", "high"], "donor mass class 'high' is not in the vocabulary "
                         "(allowed: LMXB, IMXB, HMXB)"),
    (["--class", "Dragon"], "class 'Dragon' is not in the vocabulary (allowed: (SNR), AGN,"),
])
def test_unknown_vocabulary_is_one_clear_error(m101_csc_dir, tmp_path, args, message):
    root = tmp_path / "s"
    shutil.copytree(m101_csc_dir, root)
    xcat.Store.open(root).close()  # a copied store re-points its views on first open
    err = fails(root, "classify", SRC, *args)
    assert message in err, err


def test_short_ids_are_aliases_accepted_as_source_names(m101_csc_dir, tmp_path):
    root = tmp_path / "s"
    shutil.copytree(m101_csc_dir, root)
    with xcat.Store.open(root) as s:
        other = s.sql("SELECT name FROM csc WHERE name <> $n ORDER BY name LIMIT 1",
                      {"n": SRC})["name"][0]
    f = notes(tmp_path / "n.csv", [[SRC, "CXO001", "XRB", "3", "", ""]])
    run(root, "classify", "--import", str(f))
    run(root, "classify", other, "--alias", "M101X001")
    assert "-> XRB" in run(root, "classify", "cxo001", "--mass", "LMXB")
    run(root, "classify", "M101X001", "--class", "AGN")
    out = run(root, "history", "CXO001", "--format", "csv")
    assert out.count("XRB") == 2 and "LMXB" in out
    assert "AGN" in run(root, "history", "M101X001", "--format", "csv")
    out = run(root, "sample", "source_classifications", "--param", "source=CXO001",
              "--format", "csv")
    assert SRC in out and out.strip().count("\n") == 2
    # an alias naming another source is refused
    err = fails(root, "classify", other, "--alias", "CXO001")
    assert f"alias 'CXO001' already names {SRC}" in err
    with xcat.Store.open(root) as s:
        rows = run_sample(s, "source_classifications", {"source": "m101x001"})
        assert set(rows["source"]) == {other} and list(rows["class"]) == ["AGN"]
