"""Flux histories: per-observation fluxes from a file, the flux_history and
flux_variability views, the variable_sources sample, the conversion model and the CLI.

Data:
- real: the CSC 2.0 per-observation table of NGC 3532
  (../shared/data/csc_muwclass/NGC3532/NGC3532_per.csv: 389 sources, one observation,
  ObsID 8941, 2008-10-23..25; the per-observation block repeats master column names with
  pandas' ".1" suffix) and its cone search (NGC3532_conesearch.csv, the master catalog);
- SIMULATED (tests/flux_history_sim.py): two more Chandra observations, a 2RXS row and
  two eRASS1 rows, with invented fluxes, linked by cross-match runs.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import flux_history_sim as sim
import pandas as pd
import pytest
from astropy.time import Time
from conftest import shared_file

from tests.cli_helpers import copied_store, fails, run
from xcat import Store
from xcat.science.bands import BANDS, COMMON_BAND, Band, PowerLaw, conversion_factor
from xcat.science.variability import flux_models, history, set_flux_model, variability


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The NGC 3532 store with the simulated history, built once for the module."""
    shared = shared_file("csc_muwclass/NGC3532/NGC3532_per.csv").parent
    root = tmp_path_factory.mktemp("hist") / "store"
    with Store.open(root, create=True) as s:
        sim.build(s, shared, root.parent)
    return root


@pytest.fixture
def st(built, tmp_path):
    yield from copied_store(built, tmp_path)


def test_real_per_observation_file(st):
    per = pd.read_csv(shared_file("csc_muwclass/NGC3532/NGC3532_per.csv"), dtype=str)
    obs = st.sql("SELECT * FROM flux_observations WHERE obs_id = '8941.1'")
    assert obs["source_key"].nunique() == 389 == per["name"].str.strip().nunique()
    assert set(obs["band"]) == {"0.5-7.0 keV (b)", "0.5-1.2 keV (s)", "1.2-2.0 keV (m)",
                                "2.0-7.0 keV (h)"}
    # the per-observation (".1") block is read: b-band rows = non-empty flux_aper90_b.1
    n_b = (per["flux_aper90_b.1"].str.strip() != "").sum()
    assert (obs["band"] == "0.5-7.0 keV (b)").sum() == n_b
    b = obs[obs["band"] == "0.5-7.0 keV (b)"].set_index("source_key")
    # value = lolim = 0: an upper limit at hilim (2CXO J110436.3-585024)
    lim = b.loc[sim.B]
    assert lim["flux_upper_limit"] and lim["flux_hi"] == 2.251e-16 and lim["flux"] == 0
    one = b.loc["2CXO J110507.4-585105"]
    assert (one["flux"], one["flux_lo"], one["flux_hi"]) == (9.993e-16, 6.246e-16, 1.374e-15)
    assert not one["flux_upper_limit"] and one["instrument"] == "ACIS"
    assert one["mission"] == "Chandra" and one["flux_column"] == "flux_aper90_b"
    mid = (Time("2008-10-23T21:44:43").mjd + Time("2008-10-25T10:22:21").mjd) / 2
    assert one["mjd"] == pytest.approx(mid, abs=1e-6)
    assert str(one["t_start"]) == "2008-10-23 21:44:43"
    assert math.isnan(one["exposure_s"])  # the export has no livetime
    assert one["origin"].endswith("NGC3532_per.csv") and len(one["sha256"]) == 64


def test_history_links_missions_and_converts(st):
    h = history(st, sim.A)
    assert set(h["mission"]) == {"Chandra", "ROSAT", "eROSITA"}
    assert set(h.loc[h["level"] == "observation", "obs_id"]) == {"8941.1", "13001.1",
                                                                 "17001.1"}
    assert set(h["via_run"].dropna()) == {"csc_x_erass1", "csc_x_rxs2"}
    m = PowerLaw(2.0, 3e20)
    er = h[h["mission"] == "eROSITA"].iloc[0]
    f = conversion_factor(BANDS["erass1"], COMMON_BAND, m)
    assert er["conversion_factor"] == pytest.approx(f, rel=1e-12)
    assert er["flux_common"] == pytest.approx(sim.ERASS_A * f, rel=1e-12)
    assert er["flux_common_lo"] == pytest.approx((sim.ERASS_A - sim.ERASS_A_LOW) * f)
    assert er["conversion_model"] == m.label() and er["common_band"] == "0.5-2 keV"
    assert er["mjd"] == pytest.approx((Time("2019-12-12").mjd + Time("2020-06-11").mjd) / 2)
    ro = h[h["mission"] == "ROSAT"].iloc[0]
    assert ro["flux"] == pytest.approx(sim.RXS2_COUNT_RATE * 5.6e-12)  # MPE Gamma=2 ECF
    assert ro["flux_common"] == pytest.approx(
        ro["flux"] * conversion_factor(BANDS["rxs2"], COMMON_BAND, m), rel=1e-12)
    # one preferred band per observation: b (0.5-7 keV) for the real Chandra observation
    real = h[(h["obs_id"] == "8941.1")]
    assert real.loc[real["preferred_band"], "band"].tolist() == ["0.5-7.0 keV (b)"]


def test_variability_measured_ratio_and_significance(st):
    v = variability(st, sim.A, "csc").iloc[0]
    h = history(st, sim.A)
    use = h[h["preferred_band"] & h["mjd"].notna() & ~h["flux_upper_limit"]]
    hi = use.loc[use["flux_common"].idxmax()]
    lo = use.loc[use["flux_common"].idxmin()]
    assert hi["mission"] == "ROSAT" and lo["obs_id"] == "17001.1"
    assert v["ratio_kind"] == "measured"
    assert v["ratio"] == pytest.approx(hi["flux_common"] / lo["flux_common"], rel=1e-12)
    s1 = hi["flux_common"] - hi["flux_common_lo"]  # the brighter one's lower error
    s2 = lo["flux_common_hi"] - lo["flux_common"]  # the fainter one's upper error
    want = (hi["flux_common"] - lo["flux_common"]) / math.hypot(s1, s2)
    assert v["significance"] == pytest.approx(want, rel=1e-12)
    assert v["n_detections"] == 5 and v["n_limits"] == 0  # CSC master flux left out
    assert v["missions"] == "Chandra, ROSAT, eROSITA" and not v["transient_candidate"]
    assert v["var_intra_prob_b"] == pytest.approx(0.318)  # CSC's own, from the catalog


def test_variability_against_a_deeper_limit_is_a_lower_limit(st):
    v = variability(st, sim.B, "csc").iloc[0]
    f = conversion_factor(BANDS["erass1"], COMMON_BAND, PowerLaw(2.0, 3e20))
    g = conversion_factor(BANDS["csc_b"], COMMON_BAND, PowerLaw(2.0, 3e20))
    assert v["ratio_kind"] == "lower limit" and v["limit_mission"] == "Chandra"
    assert v["ratio"] == pytest.approx(sim.ERASS_B * f / (2.251e-16 * g), rel=1e-12)
    assert v["significance"] == pytest.approx(
        (sim.ERASS_B * f - 2.251e-16 * g) / (sim.ERASS_B_LOW * f), rel=1e-12)
    assert v["transient_candidate"]


def test_variable_sources_sample(st):
    rows = st.sql(run_sample_sql(), {"min_ratio": 10, "min_sigma": 3})
    keys = set(zip(rows["id_catalog"], rows["id_key"], strict=True))
    assert ("csc", sim.A) in keys and ("csc", sim.B) in keys
    out = run(st.path, "sample", "variable_sources", "--format", "csv")
    assert sim.A in out and sim.B in out and "lower limit" in out
    strict = run(st.path, "sample", "variable_sources", "--param", "min_sigma=5",
                 "--format", "csv")
    assert sim.A in strict and sim.B not in strict  # B's change is 3.7 sigma
    # the real single-epoch sources alone: different bands of one observation are never
    # compared, so nothing is variable
    assert st.sql("SELECT count(*) AS n FROM flux_variability WHERE id_catalog = 'csc' "
                  "AND ratio IS NOT NULL")["n"][0] == 2


def run_sample_sql() -> str:
    from xcat import resources

    return resources.read_sql("saved/variable_sources.sql")


def test_seeded_model_factors_equal_a_fresh_computation(st):
    f = st.sql("SELECT emin_kev, emax_kev, factor FROM flux_conversions WHERE model_id = 1")
    m = PowerLaw(2.0, 3e20)
    assert len(f) == 9
    for r in f.itertuples():
        assert r.factor == pytest.approx(
            conversion_factor(Band("x", r.emin_kev, r.emax_kev), COMMON_BAND, m), rel=1e-12)


def test_new_model_converts_every_band(st):
    label = set_flux_model(st, PowerLaw(1.7, 1e21), Band("0.5-2 keV", 0.5, 2.0))
    h = history(st, sim.A)
    assert set(h["conversion_model"]) == {label} and h["flux_common"].notna().all()
    assert flux_models(st)["n_bands"].tolist() == [9, 9]  # newest first, as the seed
    er = h[h["mission"] == "eROSITA"].iloc[0]
    assert er["flux_common"] == pytest.approx(
        sim.ERASS_A * conversion_factor(BANDS["erass1"], COMMON_BAND, PowerLaw(1.7, 1e21)))
    out = run(st.path, "flux-model", "--gamma", "2.2", "--nh", "5e20cm-2", "--band",
              "0.5-2keV", "--unabsorbed", "--format", "csv")
    assert "Gamma=2.2, NH=5e+20 cm-2 (MM83), unabsorbed flux" in out.splitlines()[0]


def test_cli_and_figure(st, tmp_path):
    out = run(st.path, "fluxes", sim.A, "--format", "csv")
    assert "13001.1" in out and "eROSITA" in out
    assert sim.A in run(st.path, "variability", sim.A, "--format", "csv")
    png = tmp_path / "lc.png"
    assert str(png) in run(st.path, "lightcurve", sim.A, "-o", str(png), "--caption",
                           "SIMULATED")
    assert png.stat().st_size > 10_000
    png2 = tmp_path / "lc2.png"  # the same figure among the standard ones
    assert str(png2) in run(st.path, "plot", "lightcurve", sim.A, "-o", str(png2))
    assert png2.stat().st_size > 10_000


def test_refusals_leave_the_store_as_it_was(st, tmp_path):
    root = st.path
    st.close()
    assert "no flux history" in fails(root, "fluxes", "2CXO J000000.0+000000")
    assert "needs a unit" in fails(root, "flux-model", "--gamma", "2", "--nh", "3e20")
    assert "needs its unit" in fails(root, "flux-model", "--gamma", "2", "--nh", "3e20cm-2",
                                     "--band", "0.5-2")
    assert "Gamma" in fails(root, "flux-model", "--gamma", "9", "--nh", "3e20cm-2")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,obsid,flux_aper90_b,flux_aper90_lolim_b,flux_aper90_hilim_b\n"
                   "X,1,-1e-15,0,1e-15\n")
    assert "negative" in fails(root, "ingest", "observations", str(bad), "--catalog", "csc")
    bad.write_text("name,flux_aper90_b\nX,1e-15\n")
    assert "'obsid'" in fails(root, "ingest", "observations", str(bad), "--catalog", "csc")
    bad.write_text("name,obsid,theta\nX,1,2.0\n")
    assert "no per-observation flux" in fails(root, "ingest", "observations", str(bad),
                                               "--catalog", "csc")
    assert "no such file" in fails(root, "ingest", "observations", str(tmp_path / "nope.csv"),
                                   "--catalog", "csc")
    assert "lightcurve" not in fails(root, "lightcurve", "nobody", "-o",
                                     str(tmp_path / "x.png"))


def test_rereading_a_file_replaces_its_rows(built, tmp_path):
    root = tmp_path / "again"
    shutil.copytree(built, root)
    per = shared_file("csc_muwclass/NGC3532/NGC3532_per.csv")
    before = Store.open(root)
    n = before.sql("SELECT count(*) AS n FROM flux_observations")["n"][0]
    before.close()
    out = run(root, "ingest", "observations", str(per), "--catalog", "csc")
    assert "1495 fluxes of 389 sources in 1 observations" in out
    with Store.open(root) as s:
        assert s.sql("SELECT count(*) AS n FROM flux_observations")["n"][0] == n
