"""Figures and the report say what they show: hardness-ratio axes name their bands,
legends sit outside the axes (they hid points), ``hr-hr`` has an intra- and an
inter-observation panel with a labelled colour bar or a statement that no variability
data exist, upper limits are arrows whose legend gives their confidence, the sky map is
centred on the host and labelled, and the report's tables have proper titles ("XRB
candidates"), coordinates to 8 decimals of a degree, and limits marked "<".

Data: the real M101 CSC excerpt (csc_m101_xrbid/cscresults_M101.vot, no variability
columns) at 6.4 Mpc, and the NGC 3532 CSC CLI CSV (csc_muwclass/NGC3532/
NGC3532_conesearch.csv, intra-observation probabilities for one observation, no
inter-observation ones).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import shared_file
from xcat.cli import cli
from xcat.output import plots

NGC3532_HR = ("SELECT name, (flux_aper90_h - flux_aper90_s) / (flux_aper90_h + flux_aper90_s) "
              "AS hr1, (flux_aper90_h - flux_aper90_m) / (flux_aper90_h + flux_aper90_m) AS hr2 "
              "FROM csc_ngc3532")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    import xcat
    from xcat.science.hosts import add_host

    s = xcat.Store.open(tmp_path_factory.mktemp("figs") / "store", create=True)
    s.ingest_csc(shared_file("csc_m101_xrbid/cscresults_M101.vot"))
    add_host(s, "M101", ra=210.802429, dec=54.348750, radius="15arcmin", distance="6.4Mpc",
             distance_err="0.5Mpc", method="Cepheid", reference="Shappee & Stanek 2011")
    s.ingest_csc(shared_file("csc_muwclass/NGC3532/NGC3532_conesearch.csv"),
                 name="csc_ngc3532")
    yield s
    s.close()


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Run ``xcat plot`` and keep the figure it saves (also written as PNG)."""
    figs = []
    real_save = plots.save

    def keep(fig, out):
        fig.canvas.draw()
        figs.append(fig)
        return real_save(fig, out)

    monkeypatch.setattr(plots, "save", keep)

    def plot(store, *args):
        out = tmp_path / f"{len(figs)}.png"
        r = CliRunner().invoke(cli, ["--store", str(store.path), "plot", *args, "-o", str(out)])
        assert r.exit_code == 0, r.output + r.stderr
        assert out.read_bytes()[:4] == b"\x89PNG"
        return figs[-1]

    return plot


def legend_outside(fig) -> None:
    """Every legend lies outside every data axes: it cannot hide a point."""
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    assert legends
    for leg in legends:
        box = leg.get_window_extent()
        for ax in fig.axes:
            if ax.get_label() != "<colorbar>":
                assert not box.overlaps(ax.get_window_extent())


def test_hr_lx_names_bands_and_labels_limits(stores, drawn):
    fig = drawn(stores, "hr-lx", "--host", "M101")
    ax = fig.axes[0]
    assert "(h-s)/(h+s)" in ax.get_ylabel() and "2.0-7.0 keV" in ax.get_ylabel() \
        and "0.5-1.2 keV" in ax.get_ylabel()
    legend_outside(fig)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    n_ul = stores.sql("SELECT count(*) AS n FROM source_hosts JOIN xray_sources AS x "
                      "USING (catalog, source_key) JOIN luminosities AS l USING (catalog, "
                      "source_key) WHERE l.lx_upper_limit AND x.hr1 IS NOT NULL AND "
                      "l.log_lx IS NOT NULL")["n"][0]
    assert f"L$_X$ upper limits (68% confidence) ({n_ul})" in labels and n_ul > 0
    arrows = [c for c in ax.collections if type(c).__name__ == "Quiver"]
    assert len(arrows) == 1 and n_ul == arrows[0].N
    assert (arrows[0].U < 0).all()  # pointing to lower luminosity


def test_hr_hr_two_panels_say_no_variability_data(stores, drawn):
    fig = drawn(stores, "hr-hr", "--host", "M101")
    axes = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    assert len(axes) == 2 and len(fig.axes) == 2  # no colour bar without data
    titles = [a.get_title() for a in axes]
    assert "no intra-observation variability data" in titles[0]
    assert "no inter-observation variability data" in titles[1]
    assert "(h-m)/(h+m)" in axes[0].get_ylabel() and "(h-s)/(h+s)" in axes[1].get_xlabel()


def test_hr_hr_colour_bar_for_intra_only(stores, drawn):
    fig = drawn(stores, "hr-hr", "--sql", NGC3532_HR)
    bars = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert len(bars) == 1 and "variability probability" in bars[0].get_ylabel()
    rows = stores.sql(NGC3532_HR).dropna(subset=["hr1", "hr2"])  # NaN from 0/0 too
    intra = stores.sql("SELECT name, var_intra_prob_b FROM csc_ngc3532")
    n_intra = int(rows.merge(intra, on="name")["var_intra_prob_b"].notna().sum())
    left, right = (a.get_title() for a in fig.axes if a.get_label() != "<colorbar>")
    assert left == f"intra-observation variability ({n_intra} of {len(rows)} sources)"
    assert "no inter-observation variability data" in right
    legend_outside(fig)


def test_sky_map_centred_on_host(stores, drawn):
    fig = drawn(stores, "sky", "--host", "M101")
    ax = fig.axes[0]
    assert ax.get_title() == "M101: 555 sources around 14:03:12.6 +54:20:56 (ICRS)"
    assert ax.get_xlabel() == "east offset (arcmin)" and ax.xaxis_inverted()
    centre = [line for line in ax.lines if line.get_label() == "centre of M101"]
    assert centre and tuple(centre[0].get_xydata()[0]) == (0.0, 0.0)
    # a source's offset from the host centre agrees with astropy's tangent-plane offset
    from astropy.coordinates import SkyCoord
    from astropy.wcs import WCS

    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [210.802429, 54.348750]
    w.wcs.cdelt = [-1 / 60, 1 / 60]
    w.wcs.crpix = [1, 1]  # pixel 0 (0-based) at the host centre
    xs = stores.sql("SELECT ra, dec FROM xray_sources WHERE catalog = 'csc'")
    px, py = w.world_to_pixel(SkyCoord(xs["ra"], xs["dec"], unit="deg"))
    pts = np.vstack([c.get_offsets() for c in ax.collections])
    np.testing.assert_allclose(np.sort(pts[:, 0]), np.sort(-px), atol=1e-9)
    np.testing.assert_allclose(np.sort(pts[:, 1]), np.sort(py), atol=1e-9)
    legend_outside(fig)


def test_xlf_limits_are_arrows_with_confidence(stores, drawn):
    fig = drawn(stores, "xlf", "--host", "M101")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(re.fullmatch(r"M101 upper limits \(68% confidence\) \(\d+\)", x) for x in labels)
    legend_outside(fig)


def test_report_titles_coordinates_and_limits(stores, tmp_path):
    from xcat.output.samples import run_sample

    out = tmp_path / "r.html"
    r = CliRunner().invoke(cli, ["--store", str(stores.path), "report", "--host", "M101",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output + r.stderr
    page = out.read_text()
    xrb = run_sample(stores, "xrb_candidates", {"host": "M101"})
    assert f'<h2 id="title-xrb_candidates">XRB candidates ({len(xrb)})</h2>' in page
    assert '<h2 id="title-snr_candidates">SNR candidates (' in page
    table = page.split('id="sample-xrb_candidates"', 1)[1].split("</table>", 1)[0]
    assert ">ra [deg]</th>" in table and ">dec [deg]</th>" in table
    first = xrb.iloc[0]
    assert f"<td>{first['ra']:.8f}</td><td>{first['dec']:.8f}</td>" in table
    shown = xrb.iloc[:200]
    n_ul = int((shown["lx_upper_limit"] & shown["log_lx"].notna()).sum())
    assert table.count("<td>&lt;") == n_ul > 0
    assert "&lt; marks an upper limit (68% confidence)" in page
    assert "Xrb candidates" not in page


def test_figures_take_decimal_query_columns(stores, drawn):
    """DuckDB DECIMAL literals arrive as text; the figure used to raise a TypeError."""
    fig = drawn(stores, "hr-lx", "--sql", "SELECT 0.1 AS hr, 37.0 AS log_lx")
    pts = fig.axes[0].collections[0].get_offsets()
    assert pts.tolist() == [[37.0, 0.1]]
    assert fig.axes[0].get_ylabel() == "hardness ratio hr (bands not recorded)"
