"""Flag rules that see uncertainties and limits (issue 11 item 5).

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot, CSC 2.0, 555
sources) at 6.4 Mpc. Of the 102 sources the Hunt et al. (2021) rule flags on the most
likely values, 46 have hard_hs intervals (68%) crossing -0.75 and 21 are flux upper
limits; the conservative variant asks the upper bounds (hr1_hi <= -0.75 and
log_lx_hi <= 37.5) and keeps 56.
"""

from __future__ import annotations

import math

import pytest

from tests.cli_helpers import copied_store, run
from xcat.science.flags import flag_rules, flag_summary

M101 = (210.802368, 54.349023)


@pytest.fixture
def m101(m101_host_dir, tmp_path):
    yield from copied_store(m101_host_dir, tmp_path)


def test_rule_inputs_include_bounds_and_upper_limit_status(m101):
    cols = set(m101.sql("SELECT DISTINCT column_name FROM flag_inputs")["column_name"])
    assert {"hr1_lo", "hr1_hi", "hr2_lo", "hr2_hi", "hr3_lo", "hr3_hi", "flux_lo", "flux_hi",
            "log_lx_lo", "log_lx_hi", "upper_limit"} <= cols
    df = m101.sql("""SELECT i.value, i.is_upper_limit, l.log_lx_hi, l.lx_upper_limit
                     FROM flag_inputs i JOIN luminosities l USING (catalog, source_key)
                     WHERE i.column_name = 'log_lx_hi' AND l.log_lx_hi IS NOT NULL""")
    assert (df["value"] == df["log_lx_hi"]).all()
    assert (df["is_upper_limit"] == df["lx_upper_limit"]).all() and df["is_upper_limit"].sum() > 0
    ul = m101.sql("""SELECT i.value, l.lx_upper_limit FROM flag_inputs i
                     JOIN luminosities l USING (catalog, source_key)
                     WHERE i.column_name = 'upper_limit'""")
    assert (ul["value"] == ul["lx_upper_limit"].astype(float)).all()


def conservative_oracle(hr_hi, log_lx_hi, upper):
    """hr1_hi <= -0.75 AND log_lx_hi <= 37.5; an upper limit above 37.5 is unknown."""
    a = None if hr_hi is None or math.isnan(hr_hi) else hr_hi <= -0.75
    if log_lx_hi is None or math.isnan(log_lx_hi):
        b = None
    elif upper:
        b = True if log_lx_hi <= 37.5 else None
    else:
        b = log_lx_hi <= 37.5
    if a is False or b is False:
        return "false"
    if a is None or b is None:
        return "unknown"
    return "true"


def test_conservative_snr_rule_counts_on_m101(m101):
    df = m101.sql("""SELECT f.state, s.hr1_hi, l.log_lx_hi, l.lx_upper_limit
                     FROM source_flags f JOIN xray_sources s USING (catalog, source_key)
                     JOIN luminosities l USING (catalog, source_key)
                     WHERE f.rule = 'snr_hr_lx_conservative'""")
    assert len(df) == 555
    for r in df.itertuples():
        assert r.state == conservative_oracle(r.hr1_hi, r.log_lx_hi, r.lx_upper_limit)
    assert df["state"].value_counts().to_dict() == {"true": 56, "false": 426, "unknown": 73}
    # the shipped rule is unchanged (most likely values) and both counts are in the summary
    summ = flag_summary(m101).set_index("rule")
    assert summ.loc["snr_hr_lx", "n_true"] == 102
    assert summ.loc["snr_hr_lx_conservative", "n_true"] == 56
    both = m101.sql("""SELECT count(*) AS n FROM source_flags a JOIN source_flags b
                       USING (catalog, source_key)
                       WHERE a.rule = 'snr_hr_lx' AND a.state = 'true'
                         AND b.rule = 'snr_hr_lx_conservative' AND b.state = 'true'""")
    assert both["n"][0] == 56  # every conservative candidate is a most-likely one
    crossing = m101.sql("""SELECT count(*) AS n FROM snr_candidates WHERE hr1_hi > -0.75""")
    assert crossing["n"][0] == 46


def test_a_condition_on_an_upper_limit_is_judged_from_the_limit(m101):
    df = m101.sql("""SELECT f.state, f.evidence, s.hr1_hi, l.log_lx_hi
                     FROM source_flags f JOIN xray_sources s USING (catalog, source_key)
                     JOIN luminosities l USING (catalog, source_key)
                     WHERE f.rule = 'snr_hr_lx_conservative' AND l.lx_upper_limit
                       AND s.hr1_hi <= -0.75""")
    assert len(df) > 0
    below, above = df[df["log_lx_hi"] <= 37.5], df[df["log_lx_hi"] > 37.5]
    assert (below["state"] == "true").all() and (above["state"] == "unknown").all()
    assert len(below) > 0
    assert df["evidence"].str.contains(r"log_lx_hi = [\d.]+ \(upper limit\)").all()


def test_editing_a_threshold_updates_the_rule_description(m101):
    desc = flag_rules(m101).set_index("rule")["description"]
    assert "log_lx <= 37.5" in desc["snr_hr_lx"] and "hr1 <= -0.75" in desc["snr_hr_lx"]
    assert "log_lx_hi <= 37.5" in desc["snr_hr_lx_conservative"]
    m101.sql("UPDATE flag_rule_conditions SET threshold = 37.0 "
             "WHERE rule = 'snr_hr_lx' AND column_name = 'log_lx'")
    desc = flag_rules(m101).set_index("rule")["description"]
    assert "log_lx <= 37.0" in desc["snr_hr_lx"] and "37.5" not in desc["snr_hr_lx"]


def test_cli_flags_summary_shows_both_rules(m101_host_dir):
    out = run(m101_host_dir, "flags", "summary", "--format", "csv")
    assert "snr_hr_lx,csc,102,379,74" in out
    assert "snr_hr_lx_conservative,csc,56,426,73" in out
