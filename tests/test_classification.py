"""Classification state: the append-only ``classification_events`` log, the
``classification_current`` view (humans win over rules), imports, export and history.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot, 555 sources)
at 6.4 Mpc; the NGC 3532 CSC CLI CSV (csc_muwclass/NGC3532/NGC3532_conesearch.csv) with
the real MUWCLASS classification table for it (NGC3532_class.csv, 373 rows, Yang et al.
2022). No real XRBID notes file exists in ../shared/data: the notes CSV here is written
by the test in XRBID's layout (CSC ID, ID, Class, Best Star, Mass, Notes) from real M101
CSC names.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import xcat
from tests.cli_helpers import copied_store, snapshot
from tests.conftest import shared_file
from xcat.cli import cli
from xcat.science.classification import (
    classify,
    export_classifications,
    history,
    import_classifications,
)
from xcat.science.flags import apply_rules

M101 = (210.802368, 54.349023)


@pytest.fixture
def m101(m101_host_dir, tmp_path):
    yield from copied_store(m101_host_dir, tmp_path)


def events(store) -> pd.DataFrame:
    return store.sql("SELECT * FROM classification_events ORDER BY event_id")


def snr_sources(store, n=3):
    return list(store.sql("SELECT source_key FROM source_flags WHERE state = 'true' "
                          "ORDER BY source_key LIMIT $n", {"n": n})["source_key"])


def test_classify_records_an_event_and_history_shows_it(m101):
    src = snr_sources(m101, 1)[0]
    eid = classify(m101, src, cls="agn", best_counterpart=3, donor_class="hmxb",
                   note="galaxy behind the disc", author="qh")
    cur = m101.sql("SELECT * FROM classification_current").iloc[0]
    assert (cur["event_id"], cur["class"], cur["best_counterpart"], cur["donor_class"]) == (
        eid, "AGN", "3", "HMXB")
    assert cur["method"] == "visual" and cur["author"] == "qh" and cur["human_decision"]
    h = history(m101, src)
    assert list(h["event_id"]) == [eid] and h["in_force"].all()


def test_a_rule_never_overwrites_a_human(m101):
    a, b, c = snr_sources(m101, 3)
    classify(m101, a, cls="AGN", author="qh")           # human before the rule
    apply_rules(m101)                                    # (SNR) for a, b, c
    classify(m101, b, cls="XRB", author="qh")           # human after the rule
    cur = m101.sql("SELECT * FROM classification_current").set_index("source_key")
    assert cur.loc[a, "class"] == "AGN" and cur.loc[a, "pending_class"] == "(SNR)"
    assert cur.loc[b, "class"] == "XRB" and pd.isna(cur.loc[b, "pending_class"])
    assert cur.loc[c, "class"] == "(SNR)" and cur.loc[c, "method"] == "rule"
    ev = events(m101).set_index("event_id")
    rule_b = ev[(ev["source_key"] == b) & (ev["method"] == "rule")].index[0]
    human_b = ev[(ev["source_key"] == b) & (ev["method"] == "visual")].index[0]
    assert ev.loc[human_b, "supersedes"] == rule_b      # the human replaced the proposal
    rule_a = ev[(ev["source_key"] == a) & (ev["method"] == "rule")].index[0]
    assert pd.isna(ev.loc[rule_a, "supersedes"])        # the proposal replaced nothing
    assert "hr1 <= -0.75" in ev.loc[rule_a, "note"] and ev.loc[rule_a, "rule"] == "snr_hr_lx"


def current_oracle(ev: pd.DataFrame) -> dict[str, int]:
    """Latest human event per source, else the latest machine event."""
    out = {}
    for key, grp in ev.groupby("source_key"):
        human = grp[grp["method"].isin(["visual", "import"])]
        out[key] = int((human if len(human) else grp)["event_id"].max())
    return out


def test_history_never_loses_an_event(m101):
    rng = np.random.default_rng(6)
    keys = snr_sources(m101, 6)
    seen = events(m101)
    for step in range(16):
        op = rng.integers(4)
        if op == 0:
            classify(m101, str(rng.choice(keys)), cls=str(rng.choice(["AGN", "XRB", "Star"])),
                     author="a", note=f"step {step}")
        elif op == 1:
            m101.sql("UPDATE flag_rule_conditions SET threshold = $t "
                     "WHERE rule = 'snr_hr_lx' AND column_name = 'log_lx'",
                     {"t": float(rng.choice([36.5, 37.5]))})
            apply_rules(m101)
        elif op == 2:
            classify(m101, str(rng.choice(keys)), cls="(SNR)", method="rule", author="r")
        else:
            classify(m101, str(rng.choice(keys)), cls="Cluster", method="catalog", author="c")
        now = events(m101)
        if len(seen):  # nothing changed or vanished
            pd.testing.assert_frame_equal(now.iloc[:len(seen)], seen)
        assert now["event_id"].is_monotonic_increasing and now["event_id"].is_unique
        seen = now
        cur = m101.sql("SELECT source_key, event_id, n_events FROM classification_current")
        assert dict(zip(cur["source_key"], cur["event_id"], strict=True)) == \
            current_oracle(now)
        assert cur["n_events"].sum() == len(now)
    assert len(seen) >= 16


def notes_file(path: Path, names: list[str]) -> Path:
    """An XRBID-style notes CSV for real M101 sources (written here, not real notes)."""
    df = pd.DataFrame({"CSC ID": names, "ID": range(1, len(names) + 1),
                       "Class": ["AGN", "xrb", "(SNR)", "Cluster", ""],
                       "Best Star": ["12", "3", "", "7", ""],
                       "Mass": ["", "HMXB", "", "", ""],
                       "Notes": ["extended in F555W", "blue star", "soft", "", "not yet"]})
    df.to_csv(path, index=False)
    return path


def test_import_xrbid_notes_export_and_round_trip(m101, tmp_path):
    names = list(m101.sql("SELECT name FROM csc ORDER BY name LIMIT 5")["name"])
    f = notes_file(tmp_path / "notes.csv", names)
    # the fifth row has no class yet but a note: imported (issue 11 item 4)
    assert import_classifications(m101, f, author="qh") == {"imported": 5, "skipped": 0}
    assert import_classifications(m101, f, author="qh") == {"imported": 0, "skipped": 5}
    cur = m101.sql("SELECT * FROM classification_current ORDER BY source_key")
    assert list(cur["class"].fillna("")) == ["AGN", "XRB", "(SNR)", "Cluster", ""]
    assert list(cur["donor_class"].fillna("")) == ["", "HMXB", "", "", ""]
    assert set(cur["method"]) == {"import"} and cur["human_decision"].all()
    out = export_classifications(m101)
    assert list(out.columns[:6]) == ["CSC ID", "ID", "Class", "Best Star", "Mass", "Notes"]
    apply_rules(m101)  # rule proposals are exported too, but never re-imported
    back = tmp_path / "export.csv"
    export_classifications(m101).to_csv(back, index=False)
    assert import_classifications(m101, back)["imported"] == 0




@pytest.mark.parametrize("row, column, value, message", [
    (3, "CSC ID", "2CXO J000000.0+000000", "notes.csv: row 3: source"),
    (2, "Class", "Dragon", "notes.csv: row 2: class 'Dragon'"),
    (1, "Mass", "heavy", "notes.csv: row 1: donor mass class 'heavy'"),
])
def test_bad_notes_leave_the_store_unchanged(m101, tmp_path, row, column, value, message):
    names = list(m101.sql("SELECT name FROM csc ORDER BY name LIMIT 5")["name"])
    f = notes_file(tmp_path / "notes.csv", names)
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    df.loc[row - 1, column] = value
    df.to_csv(f, index=False)
    root = m101.path
    before = snapshot(root)  # an idle handle holds no lock: the CLI runs beside it
    r = CliRunner().invoke(cli, ["--store", str(root), "classify", "--import", str(f)])
    assert r.exit_code == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and message in err[0], r.stderr
    assert snapshot(root) == before


def test_muwclass_table_imports_as_catalog_events(store):
    store.ingest_csc(shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv"),
                     name="csc_ngc3532")
    path = shared_file("csc_muwclass/NGC3532/NGC3532_class.csv")
    r = import_classifications(store, path, catalog="csc_ngc3532")
    assert r == {"imported": 371, "skipped": 2}  # two rows carry no class
    truth = pd.read_csv(path).dropna(subset=["Class"])
    cur = store.sql("SELECT * FROM classification_current WHERE catalog = 'csc_ngc3532'")
    assert len(cur) == 371 and set(cur["method"]) == {"catalog"}
    assert cur["class"].value_counts().to_dict() == truth["Class"].value_counts().to_dict()
    got = cur.set_index("source_key")["probability"]
    want = truth.set_index(truth["name"].str.strip())["Class_prob"]
    assert np.allclose(got.loc[want.index], want, rtol=1e-12)
    assert import_classifications(store, path, catalog="csc_ngc3532")["imported"] == 0
    name = truth["name"].iloc[0].strip()
    classify(store, name, catalog="csc_ngc3532", cls="YSO", author="me")
    assert store.sql("SELECT class FROM classification_current WHERE source_key = $k",
                     {"k": name})["class"][0] == "YSO"
    assert list(history(store, name, "csc_ngc3532")["method"]) == ["catalog", "visual"]


def test_cli_classify_history_export(tmp_path, m101_host_dir):
    root = tmp_path / "s"
    shutil.copytree(m101_host_dir, root)
    runner = CliRunner()

    def run(*args, code=0):
        r = runner.invoke(cli, ["--store", str(root), *args])
        assert r.exit_code == code, r.output + r.stderr
        return r.output + r.stderr

    with xcat.Store.open(root) as s:
        src = snr_sources(s, 1)[0]
    assert "-> AGN" in run("classify", src, "--class", "AGN", "--best-star", "3",
                           "--note", "host galaxy visible")
    assert "snr_hr_lx:" in run("flags", "apply")
    out = run("history", src, "--format", "csv")
    assert out.count("\n") == 3 and ",visual," in out and ",rule," in out
    exp = run("classify", "--export", "--format", "csv")
    assert exp.startswith("CSC ID,ID,Class,Best Star,Mass,Notes") and f"{src},"in exp
    assert "(SNR)" in run("classify", "--vocabulary")
    assert "not in the vocabulary" in run("classify", src, "--class", "Dragon", code=1)
    assert "is not in catalog csc" in run("history", "2CXO nowhere", code=1)
