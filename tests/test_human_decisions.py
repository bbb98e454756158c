"""Samples, views and reports honour human decisions (issue 11 item 3): a person's
classification wins over a flag rule everywhere a class or flag is used.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot) at 6.4 Mpc.
2CXO J140412.7+541425 is flagged by the Hunt et al. (2021) SNR rule (hard_hs <= -0.75,
log Lx <= 37.5); a person classifies it XRB.
"""

from __future__ import annotations

import shutil

import pytest

from tests.cli_helpers import copied_store, run
from xcat.output.samples import run_sample
from xcat.science.classification import classify
from xcat.science.flags import apply_rules

M101 = (210.802368, 54.349023)
SRC = "2CXO J140412.7+541425"


@pytest.fixture
def m101(m101_host_dir, tmp_path):
    yield from copied_store(m101_host_dir, tmp_path)


def names(df):
    return set(df["name"].str.strip())


def test_flagged_source_classified_xrb_by_a_person_is_an_xrb_candidate(m101):
    state = m101.sql("SELECT state FROM source_flags WHERE source_key = $k "
                     "AND rule = 'snr_hr_lx'", {"k": SRC})["state"]
    assert list(state) == ["true"]
    assert SRC not in names(run_sample(m101, "xrb_candidates", {"host": "M101"}))
    assert SRC in names(run_sample(m101, "snr_candidates", {"host": "M101"}))
    apply_rules(m101)  # the rule's (SNR) proposal is recorded first
    classify(m101, SRC, cls="XRB", author="tester")
    xrb = run_sample(m101, "xrb_candidates", {"host": "M101"})
    assert SRC in names(xrb)
    assert xrb.loc[xrb["name"].str.strip() == SRC, "current_class"].item() == "XRB"
    snr = run_sample(m101, "snr_candidates", {"host": "M101"})
    assert SRC not in names(snr) and len(snr) == 101 and set(snr["decided_by"]) == {"rule"}
    # the other 101 flagged sources stay out of the XRB sample
    flagged = set(m101.sql("SELECT source_key FROM source_flags WHERE rule = 'snr_hr_lx' "
                           "AND state = 'true'")["source_key"].str.strip())
    assert names(xrb) & flagged == {SRC}


def test_a_person_can_make_an_snr_candidate_the_rule_does_not_flag(m101):
    other = m101.sql("SELECT source_key FROM source_flags WHERE rule = 'snr_hr_lx' "
                     "AND state = 'false' ORDER BY source_key LIMIT 1")["source_key"][0]
    classify(m101, other, cls="(SNR)", author="tester")
    snr = m101.sql("SELECT source_key, decided_by, rule_state, human_class "
                   "FROM snr_candidates").set_index("source_key")
    assert snr.loc[other, "decided_by"] == "person" and snr.loc[other, "rule_state"] == "false"
    assert len(snr) == 103


def test_cli_sample_shows_the_human_decision(m101_host_dir, tmp_path):
    root = tmp_path / "s"
    shutil.copytree(m101_host_dir, root)
    run(root, "flags", "apply")
    run(root, "classify", SRC, "--class", "XRB", "--author", "tester")
    out = run(root, "sample", "xrb_candidates", "--param", "host=M101", "--format", "csv")
    assert SRC in out
