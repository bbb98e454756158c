"""Per-source distances (parallax 1/plx, a distance column), the per-source 2RXS
count-rate -> flux conversion with its propagated error, and luminosities that use a
source's own distance before its host's.

Real data: the CARMENES excerpt (Cifuentes et al. 2020, 2483 M dwarfs, Plx/ePlx in mas,
d_pc/ed_pc). The 2RXS rows are SYNTHETIC (tests/mdwarf_2rxs.py: real rass2rxs column
names, count rates and HR1 drawn by a seeded generator, names '2RXS SYNTH ...').
Oracles: hand computations (written out below) and astropy units.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import Distance

import xcat
from tests.cli_helpers import copied_store, fails, run
from tests.conftest import shared_file
from tests.mdwarf_2rxs import CARMENES, write
from tests.test_xray_sources import make_2rxs
from xcat.science.hosts import add_host
from xcat.science.luminosity import set_ecf
from xcat.science.source_distances import (
    adopt_source_distance,
    distances_from_column,
    distances_from_parallax,
    parallax_distance_pc,
    source_distances,
)

RUN = "rxs2_carmenes"


def approx(expected, rel=1e-12):
    """pytest.approx without its default absolute tolerance (1e-12), which would accept
    any two fluxes of 1e-13 erg/s/cm2 as equal.
    """
    return pytest.approx(expected, rel=rel, abs=0)
REF = "2020A&A...642A.115C"


def test_parallax_inversion_by_hand_and_astropy():
    # plx = 100 +- 2 mas: d = 1000/100 = 10 pc; [1000/102, 1000/98] = [9.8039, 10.2041] pc
    d, lo, hi = parallax_distance_pc(100.0, 2.0)
    assert (d, lo, hi) == approx((10.0, 9.803921568627, 10.204081632653), rel=1e-12)
    assert d == approx(Distance(parallax=100 * u.mas).to_value(u.pc), rel=1e-14)


def test_2rxs_flux_per_source_with_propagated_error(store, tmp_path):
    from xcat.jobs.file import ingest_file

    ingest_file(store, make_2rxs(tmp_path / "r.parquet"), kind="rxs2", name="rxs2")
    q = "SELECT * FROM xray_sources WHERE kind = 'rxs2' ORDER BY name"
    df = store.sql(q)
    # default factor (power law, no HR1 term): sigma_F = ECF sigma_CR = 5.6e-12 * 0.01
    r = df.iloc[0]
    assert r["flux_origin"] == "ecf:mpe_powerlaw_gamma2"
    assert r["ecf"] == approx(5.6e-12, rel=1e-12)
    assert r["flux"] == approx(2.8e-13, rel=1e-12)
    assert r["flux_err"] == approx(5.6e-14, rel=1e-12)
    set_ecf(store, "rxs2", "sfg95_coronal")
    df = store.sql(q)
    # row 1: CR 0.05 +- 0.01, HR1 -0.2 +- 0.1: ECF = (5.30 * -0.2 + 8.31) e-12 = 7.25e-12
    #   F = 0.05 * 7.25e-12 = 3.625e-13
    #   sigma_F^2 = (7.25e-12 * 0.01)^2 + (0.05 * 5.30e-12 * 0.1)^2
    #             = (7.25e-14)^2 + (2.65e-14)^2 = 5.25625e-27 + 7.0225e-28 = 5.95850e-27
    #   sigma_F = 7.71913e-14
    # row 3: CR 0.3 +- 0.02, HR1 -1.0 +- 0.05: ECF = 3.01e-12, F = 9.03e-13
    #   sigma_F^2 = (6.02e-14)^2 + (0.3 * 5.30e-12 * 0.05)^2 = 3.62404e-27 + 6.32025e-27
    #   sigma_F = 9.97211e-14
    one, three = df.iloc[0], df.iloc[2]
    assert one["flux"] == approx(3.625e-13, rel=1e-12)
    assert one["flux_err"] == approx(7.71913e-14, rel=1e-6)
    assert (one["flux_lo"], one["flux_hi"]) == approx(
        (3.625e-13 - 7.71913e-14, 3.625e-13 + 7.71913e-14), rel=1e-6)
    assert one["flux_conf"] == 0.6827 and one["flux_origin"] == "ecf:sfg95_coronal"
    assert three["flux"] == approx(9.03e-13, rel=1e-12)
    assert three["flux_err"] == approx(9.97211e-14, rel=1e-6)
    # the first-order formula against a Monte Carlo of the same inputs (seeded): the
    # neglected term is the product of both errors, (5.30e-12 * 0.01 * 0.1)^2, 0.9% of
    # sigma_F^2 for row 1, so the sample spread agrees to 1% (2e5 draws: 0.2% noise)
    rng = np.random.default_rng(3)
    cr = rng.normal(0.05, 0.01, 200_000)
    hr1 = rng.normal(-0.2, 0.1, 200_000)
    assert np.std(cr * (5.30 * hr1 + 8.31) * 1e-12) == approx(7.71913e-14, rel=0.01)
    # luminosities read the same flux and interval
    lum = store.sql("SELECT * FROM luminosities WHERE kind = 'rxs2' ORDER BY name")
    assert lum["flux_origin"].iloc[0] == "ecf:sfg95_coronal"
    assert lum["flux_lo"].iloc[0] == one["flux_lo"] and lum["ecf"].iloc[0] == one["ecf"]
    cols = store.sql("SELECT name, unit FROM view_columns WHERE view = 'xray_sources' "
                     "AND name IN ('flux_err', 'ecf', 'flux_origin') ORDER BY name")
    assert cols["unit"].tolist()[:2] == ["erg / cm2", "erg / (s cm2)"]


@pytest.fixture(scope="module")
def mdwarf_dir(tmp_path_factory):
    from xcat.jobs.file import ingest_file

    tmp = tmp_path_factory.mktemp("mdw")
    truth = write(shared_file(CARMENES), tmp / "synthetic_2rxs.parquet")
    root = tmp / "store"
    with xcat.Store.open(root, create=True) as s:
        ingest_file(s, shared_file(CARMENES), kind="carmenes", name="carmenes")
        ingest_file(s, tmp / "synthetic_2rxs.parquet", kind="rxs2", name="rxs2")
        s.xmatch("rxs2", "carmenes", radius="30arcsec", name=RUN)
        set_ecf(s, "rxs2", "sfg95_coronal")
    truth.to_parquet(tmp / "truth.parquet")
    return root, truth


@pytest.fixture
def mdw(mdwarf_dir, tmp_path):
    root, truth = mdwarf_dir
    for s in copied_store(root, tmp_path):
        yield s, truth


def _carmenes() -> pd.DataFrame:
    return pd.read_csv(shared_file(CARMENES), usecols=["Karmn", "Plx", "ePlx", "d_pc", "ed_pc"])


def test_mdwarf_luminosities_from_their_own_parallaxes(mdw):
    s, truth = mdw
    r = distances_from_parallax(s, "carmenes", RUN, parallax="Plx", parallax_err="ePlx",
                                reference=REF)
    n = len(truth)
    assert r["source_catalog"] == "rxs2" and r["linked"] == n and r["recorded"] == n
    assert r["adopted"] == n and r["unit_source"] == "catalog"  # Plx is declared mas
    lum = s.sql("SELECT l.*, x.count_rate, x.hr1, d.counterpart_key, d.parallax_mas "
                "FROM luminosities l JOIN xray_sources x USING (catalog, source_key) "
                "JOIN source_distances_adopted d USING (catalog, source_key) "
                "WHERE l.catalog = 'rxs2' ORDER BY name")
    m = lum.merge(truth[["name", "Karmn", "true_log_lx"]], on="name")
    # the best counterpart is the simulated star, or (4 of 631, resolved visual binaries
    # such as J04329+001N/S) its companion: the same Karmn id up to the suffix
    same = m["counterpart_key"] == m["Karmn"]
    assert len(m) == n and same.sum() == n - 4
    assert (m["counterpart_key"].str[:10] == m["Karmn"].str[:10]).all()
    assert set(m["distance_origin"]) == {"source"} and set(m["distance_ref"]) == {REF}
    assert set(m["distance_method"]) == {"parallax 1/plx"} and m["host"].isna().all()
    # by hand with astropy for five stars: d from the CSV's Plx, F = CR (5.30 HR1 + 8.31)e-12
    c = _carmenes().set_index("Karmn")
    for _, row in m.iloc[[0, 100, 200, 300, n - 1]].iterrows():
        d = Distance(parallax=c.loc[row["counterpart_key"], "Plx"] * u.mas)
        f = row["count_rate"] * (5.30 * row["hr1"] + 8.31) * 1e-12 * u.erg / u.s / u.cm ** 2
        lx = (4 * math.pi * d ** 2 * f).to(u.erg / u.s)
        assert row["log_lx"] == pytest.approx(math.log10(lx.value), rel=0, abs=1e-12)
        assert row["distance_mpc"] == approx(d.to_value(u.Mpc), rel=1e-12)
    # the simulation is recovered: measured minus injected log L_X is Poisson noise plus
    # the Eddington bias of a count threshold (>= 8 counts): seed 16 gives a median of
    # +0.011 dex and a spread of 0.162 dex
    diff = m["log_lx"] - m["true_log_lx"]
    assert abs(diff.median()) < 0.05 and 0.1 < diff.std() < 0.25
    assert m["log_lx"].between(25.5, 30.5).all()  # M dwarfs: 10^25.7 - 10^30.4 erg/s


def test_quality_cut_zero_point_and_repeats(mdw):
    s, truth = mdw
    c = _carmenes().set_index("Karmn").loc[truth["Karmn"]]
    snr = c["Plx"] / c["ePlx"]
    cut = float(np.percentile(snr, 50))
    r = distances_from_parallax(s, "carmenes", RUN, parallax="Plx", parallax_err="ePlx",
                                min_snr=cut, zero_point="-0.017mas")
    assert r["passed"] == int(((c["Plx"] + 0.017) / c["ePlx"] >= cut).sum())
    d = s.sql("SELECT * FROM source_distances ORDER BY distance_id").iloc[0]
    plx = c.loc[d["counterpart_key"], "Plx"] + 0.017
    assert d["parallax_mas"] == approx(plx, rel=1e-12)
    assert d["distance_pc"] == approx(1000.0 / plx, rel=1e-12)
    assert '"zero_point_mas": -0.017' in d["parameters"]
    again = distances_from_parallax(s, "carmenes", RUN, parallax="Plx", parallax_err="ePlx",
                                    min_snr=cut, zero_point="-0.017mas")
    assert again["recorded"] == 0 and again["repeats"] == r["passed"]


def test_distance_column_adoption_and_host_fallback(mdw):
    s, truth = mdw
    distances_from_parallax(s, "carmenes", RUN, parallax="Plx", parallax_err="ePlx")
    r = distances_from_column(s, "carmenes", RUN, column="d_pc", err="ed_pc", adopt=False)
    assert r["recorded"] == len(truth) and r["adopted"] == 0
    name = truth["name"].iloc[0]
    rows = source_distances(s, name)
    assert rows["adopted"].tolist() == [True, False]
    col = rows.iloc[1]
    c = _carmenes().set_index("Karmn").loc[col["counterpart_key"]]
    assert col["distance_pc"] == c["d_pc"] and col["method"] == "column d_pc"
    assert col["distance_hi_pc"] == approx(c["d_pc"] + c["ed_pc"])
    adopt_source_distance(s, name, int(col["distance_id"]))
    lum = s.sql("SELECT * FROM luminosities WHERE name = $n", {"n": name}).iloc[0]
    assert lum["distance_mpc"] == approx(c["d_pc"] / 1e6, rel=1e-12)
    assert lum["distance_method"] == "column d_pc"
    # a host around the star: its own distance still wins; withdrawn, the host's is used
    x = s.sql("SELECT ra, dec FROM xray_sources WHERE name = $n", {"n": name}).iloc[0]
    add_host(s, "SYNTH_CLUSTER", ra=float(x["ra"]), dec=float(x["dec"]), distance="100pc",
             distance_err="5pc", radius="1arcmin")
    lum = s.sql("SELECT * FROM luminosities WHERE name = $n", {"n": name}).iloc[0]
    assert lum["host"] == "SYNTH_CLUSTER" and lum["distance_origin"] == "source"
    adopt_source_distance(s, name, None, note="back to the cluster")
    lum = s.sql("SELECT * FROM luminosities WHERE name = $n", {"n": name}).iloc[0]
    assert lum["distance_origin"] == "host" and lum["distance_mpc"] == approx(1e-4)
    assert (lum["distance_lo_mpc"], lum["distance_hi_mpc"]) == approx((95e-6, 105e-6))


def test_cli_commands_and_their_errors(mdwarf_dir, tmp_path):
    import shutil

    root = tmp_path / "store"
    shutil.copytree(mdwarf_dir[0], root)
    out = run(root, "distance", "from-parallax", "--catalog", "carmenes", "--run", RUN,
              "--parallax", "Plx", "--parallax-err", "ePlx", "--ref", REF)
    n = len(mdwarf_dir[1])
    assert out.strip().splitlines()[-1] == (
        f"rxs2: {n} sources with a counterpart, {n} with a parallax and "
                           f"error (cut parallax/error >= 5), {n} kept; {n} distances "
                           f"recorded, {n} adopted, 0 already stored")
    assert f"({n} rows" in run(root, "distance", "list", "--catalog", "rxs2")
    for args, msg in [
        (("--run", "nope"), "no cross-match run 'nope'"),
        (("--run", RUN, "--min-snr", "1"), "must be > 1"),
        (("--run", RUN, "--zero-point", "0.02"), "has no unit: give one, e.g. -0.017mas"),
        (("--run", RUN, "--parallax", "plx_nope"), "has no column 'plx_nope'"),
    ]:
        err = fails(root, "distance", "from-parallax", "--catalog", "carmenes",
                    "--parallax", "Plx", "--parallax-err", "ePlx", *args)
        assert msg in err, err
    assert "no catalog 'gaia'" in fails(
        root, "distance", "from-parallax", "--catalog", "gaia", "--run", RUN)
    assert "no distance recorded" in fails(root, "distance", "withdraw", "nobody")
    assert "has no distance with id 999999" in fails(
        root, "distance", "adopt", mdwarf_dir[1]["name"].iloc[0], "999999")


def test_lx_distance_figure(mdw, tmp_path):
    from xcat.output.lx_distance import draw, rows

    s, truth = mdw
    with pytest.raises(xcat.XcatError, match="no source has its own distance"):
        draw(s, tmp_path / "none.png")
    distances_from_parallax(s, "carmenes", RUN, parallax="Plx", parallax_err="ePlx")
    df = rows(s, "rxs2", "SpTnum")
    assert len(df) == len(truth) and df["versus"].notna().all()
    assert set(df["versus_label"]) == {"SpTnum (carmenes)"}
    out = draw(s, tmp_path / "lx.png", catalog="rxs2", versus="Teff")
    assert out.stat().st_size > 20_000
    assert set(rows(s, "rxs2", "Teff")["versus_label"]) == {"Teff [K] (carmenes)"}
    with pytest.raises(xcat.XcatError, match="has no column 'nope'"):
        rows(s, "rxs2", "nope")


def test_bailer_jones_columns_from_either_side_of_a_run(tmp_path):
    """A Bailer-Jones-like table (r_med_geo, r_lo_geo, r_hi_geo in pc; SYNTHETIC values at
    the positions of the small 2RXS table): the unit must be given when the file has none,
    and the counterpart catalog may be either side of the run.
    """
    root = tmp_path / "store"
    run(root, "ingest", "2rxs", str(make_2rxs(tmp_path / "r.parquet")))
    pd.DataFrame({"source_id": ["g1", "g2", "g3"], "ra": [0.0041, 0.2501, 10.0],
                  "dec": [0.0003, -1.0, 10.0], "r_med_geo": [12.5, 40.0, 3.0],
                  "r_lo_geo": [12.0, 35.0, 2.9], "r_hi_geo": [13.1, 47.0, 3.1]}
                 ).to_csv(tmp_path / "bj.csv", index=False)
    run(root, "ingest", "table", str(tmp_path / "bj.csv"), "--name", "bj", "--key",
        "source_id", "--ra", "ra", "--dec", "dec")
    run(root, "xmatch", "rxs2", "bj", "--radius", "3arcsec", "--name", "x_bj")
    run(root, "xmatch", "bj", "rxs2", "--radius", "3arcsec", "--name", "bj_x")
    args = ("distance", "from-column", "--catalog", "bj", "--column", "r_med_geo",
            "--lo", "r_lo_geo", "--hi", "r_hi_geo")
    assert "has no unit: give one with --unit" in fails(root, *args, "--run", "x_bj")
    assert "--lo/--hi or --err, not both" in fails(root, *args, "--run", "x_bj", "--unit",
                                                   "pc", "--err", "r_lo_geo")
    out = run(root, *args, "--run", "x_bj", "--unit", "kpc", "--ref", "2021AJ....161..147B")
    assert "rxs2: 2 sources with a counterpart" in out and "2 distances recorded" in out
    out = run(root, *args, "--run", "bj_x", "--unit", "pc")  # bj is the run's left side
    assert "rxs2: 2 sources with a counterpart" in out and "2 adopted" in out
    with xcat.Store.open(root) as s:
        d = s.sql("SELECT * FROM source_distances ORDER BY distance_id")
        lum = s.sql("SELECT * FROM luminosities WHERE catalog = 'rxs2' ORDER BY name")
    assert d["distance_pc"].tolist() == approx([12500.0, 40000.0, 12.5, 40.0])
    assert d["distance_lo_pc"].tolist() == approx([12000.0, 35000.0, 12.0, 35.0])
    assert d["counterpart_key"].tolist() == ["g1", "g2", "g1", "g2"]
    assert d["run"].tolist() == ["x_bj", "x_bj", "bj_x", "bj_x"]
    # the newest adoption (run bj_x, in pc) is used: lx_hi from r_hi_geo = 13.1 pc
    first = lum.iloc[0]
    assert first["distance_origin"] == "source" and first["distance_mpc"] == approx(12.5e-6)
    area_hi = 4 * math.pi * (13.1 * u.pc).to_value(u.cm) ** 2
    assert first["lx_hi"] == approx(area_hi * first["flux_hi"])
    assert lum["distance_origin"].isna().sum() == 1  # the third source has no counterpart
