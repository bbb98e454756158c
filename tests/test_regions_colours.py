"""DS9 regions keep what the user sees: class colours (pandas ``itertuples`` renamed the
``class`` column, so every source came out green), the counterparts' ``x`` markers
(``symbol=x`` was silently dropped), and ``xcat regions xrb_candidates --shape r68`` works
although the saved sample carries only ``pos_err_r95`` (the error columns are added from
xray_sources by name). Checked by parsing the files back with astropy ``regions``.

Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot), M101 at 6.4 Mpc,
and five real HST F555W positions (M101_daoclean_f555w_acs_fk5.reg) as counterparts.
"""

from __future__ import annotations

import pytest
import regions
from click.testing import CliRunner

from tests.conftest import shared_file
from xcat.cli import cli
from xcat.output.regions import CLASS_COLOURS, COUNTERPART_COLOUR, DEFAULT_COLOUR


def colour(region) -> str:
    """The parsed colour (regions reads a circle's DS9 color as edgecolor/facecolor)."""
    return region.visual.get("edgecolor") or region.visual["color"]


HMXB = "2CXO J140414.2+542604"  # the most luminous XRB candidate of M101


@pytest.fixture
def m101_host(store, m101_vot):
    from xcat.science.classification import classify
    from xcat.science.hosts import add_host

    store.ingest_csc(m101_vot)
    add_host(store, "M101", ra=210.802429, dec=54.348750, radius="15arcmin",
             distance="6.4Mpc", distance_err="0.5Mpc", method="Cepheid",
             reference="Shappee & Stanek 2011")
    classify(store, HMXB, cls="HMXB", catalog="csc", author="tester", note="test decision")
    store.ingest_table(shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
                       name="hst", key="region_id")
    return store


def xcat(store, *args):
    r = CliRunner().invoke(cli, ["--store", str(store.path), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def test_class_colours_and_counterpart_markers_survive_a_parse(m101_host, tmp_path):
    out = tmp_path / "classes.reg"
    xcat(m101_host, "regions", "--sql",
         "SELECT x.*, CASE WHEN x.flux > 1e-14 THEN 'AGN' ELSE 'SNR' END AS class "
         "FROM xray_sources AS x ORDER BY name", "--shape", "r95",
         "--counterparts", "SELECT ra, dec, region_id AS label FROM hst ORDER BY region_id "
         "LIMIT 5", "-o", str(out))
    regs = regions.Regions.read(str(out), format="ds9")
    xs = m101_host.sql("SELECT name, flux FROM xray_sources ORDER BY name")
    circles = [g for g in regs if isinstance(g, regions.CircleSkyRegion)]
    assert len(circles) == len(xs)
    expect = {n: CLASS_COLOURS["AGN" if f > 1e-14 else "SNR"]
              for n, f in zip(xs["name"], xs["flux"], strict=True)}
    got = {g.meta["text"]: colour(g) for g in circles}
    assert got == expect and {"red", "green"} <= set(got.values())
    points = [g for g in regs if isinstance(g, regions.PointSkyRegion)]
    assert len(points) == 5
    assert all(p.visual["marker"] == "x" and colour(p) == COUNTERPART_COLOUR
               for p in points)


def test_sample_regions_r68_with_current_class(m101_host, tmp_path):
    from xcat.output.samples import run_sample

    out = tmp_path / "xrb.reg"
    xcat(m101_host, "regions", "xrb_candidates", "-p", "host=M101", "--shape", "r68",
         "-o", str(out))
    sample = run_sample(m101_host, "xrb_candidates", {"host": "M101"})
    r68 = m101_host.sql("SELECT name, pos_err_r68 FROM xray_sources").set_index("name")
    regs = regions.Regions.read(str(out), format="ds9")
    assert len(regs) == len(sample) > 100
    by_name = {g.meta["text"]: g for g in regs}
    assert colour(by_name[HMXB]) == CLASS_COLOURS["HMXB"] == "blue"
    others = {colour(g) for n, g in by_name.items() if n != HMXB}
    assert others == {DEFAULT_COLOUR}
    for name in sample["name"][:20]:
        assert by_name[name].radius.to_value("arcsec") == pytest.approx(
            r68.loc[name, "pos_err_r68"], abs=1e-4)
    assert (r68.loc[sample["name"], "pos_err_r68"] <
            sample.set_index("name")["pos_err_r95"]).all()
