"""Footprints use the image's valid-data mask (issue 11 item 2): finite, non-zero pixels,
with an optional weight map and minimum weight, so chip gaps, NaN corners of drizzled
images and mosaic edges are Out.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot, 555 sources).
The images are synthetic, drizzled-like (TAN WCS rotated on M101, NaN corners, a chip gap
of zeros, a weight map), built here; the oracle is astropy's world-to-pixel transform
and the pixel's validity (pixel k covers k-0.5 .. k+0.5).
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests.cli_helpers import copied_store, fails, run
from xcat.science.footprint import add_footprint

M101 = (210.802368, 54.349023)


@pytest.fixture
def m101(m101_csc_dir, tmp_path):
    yield from copied_store(m101_csc_dir, tmp_path)


def tan_wcs(nx, ny, scale_arcsec, rot_deg=0.0, centre=M101, crpix=None):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = list(centre)
    w.wcs.crpix = crpix or [nx / 2 + 0.5, ny / 2 + 0.5]
    c, s = math.cos(math.radians(rot_deg)), math.sin(math.radians(rot_deg))
    d = scale_arcsec / 3600
    w.wcs.cd = [[-d * c, d * s], [d * s, d * c]]
    return w


def write(path, w, data, extra=None):
    header = w.to_header()
    hdus = [fits.PrimaryHDU(data.astype(np.float32), header=header)]
    if extra is not None:
        hdus.append(fits.ImageHDU(extra.astype(np.float32), header=header, name="WHT"))
    fits.HDUList(hdus).writeto(path)
    return path


def drizzled(nx=400, ny=300):
    """Ones with NaN triangles in two corners and a chip gap of zeros."""
    yy, xx = np.mgrid[0:ny, 0:nx]
    data = np.ones((ny, nx))
    data[xx + yy < 90] = np.nan                        # lower-left corner
    data[(nx - 1 - xx) + (ny - 1 - yy) < 120] = np.nan  # upper-right corner
    data[(yy > 140) & (yy < 156)] = 0.0                 # the chip gap
    return data


def footprint_rows(store, name):
    return store.sql("""SELECT f.inside, f.bounds, s.ra, s.dec FROM source_footprints f
                        JOIN xray_sources s USING (catalog, source_key)
                        WHERE footprint = $f""", {"f": name})


def oracle(w, valid, ra, dec):
    """In when the pixel holding the position has data; distance to the nearest pixel
    edge, to leave out floating-point ties."""
    x, y = w.world_to_pixel_values(ra, dec)
    ny, nx = valid.shape
    i, j = np.floor(x + 0.5).astype(int), np.floor(y + 0.5).astype(int)
    ok = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
    inside = np.zeros(len(x), bool)
    inside[ok] = valid[j[ok], i[ok]]
    tie = np.minimum(np.abs(x + 0.5 - np.round(x + 0.5)), np.abs(y + 0.5 - np.round(y + 0.5)))
    return inside, tie


def test_nan_corners_and_chip_gap_are_out(m101, tmp_path):
    w = tan_wcs(400, 300, 1.5, rot_deg=25.0)
    data = drizzled()
    add_footprint(m101, "drz", fits=write(tmp_path / "drz.fits", w, data))
    df = footprint_rows(m101, "drz")
    want, tie = oracle(w, np.isfinite(data) & (data != 0), df["ra"].to_numpy(),
                       df["dec"].to_numpy())
    clear = tie > 1e-6
    assert clear.all()
    assert (df["inside"].to_numpy() == want).all()
    # sources in each no-data region, and in data, so the test can fail
    x, y = w.world_to_pixel_values(df["ra"].to_numpy(), df["dec"].to_numpy())
    in_rect = (x > -0.5) & (x < 399.5) & (y > -0.5) & (y < 299.5)
    assert (in_rect & ~want).sum() >= 10 and want.sum() >= 50
    assert set(df.loc[df["inside"], "bounds"]) == {"In"}
    # the whole rectangle, as before, when asked
    add_footprint(m101, "rect", fits=tmp_path / "drz.fits", use_mask=False)
    rect = footprint_rows(m101, "rect")
    assert (rect["inside"].to_numpy() == in_rect).all()


@pytest.mark.parametrize("valid_east", [True, False])
def test_a_source_exactly_on_the_mask_edge_is_in(m101, tmp_path, valid_east):
    src = m101.sql("SELECT source_key, ra, dec FROM xray_sources ORDER BY source_key "
                   "LIMIT 1").iloc[0]
    nx, ny, j = 200, 200, 100
    # crpix1 = j + 0.5 puts the source (the tangent point) at x = j - 0.5: the edge between
    # columns j-1 and j; one side of it has no data
    w = tan_wcs(nx, ny, 0.5, centre=(src["ra"], src["dec"]), crpix=[j + 0.5, 100.0])
    x, y = w.world_to_pixel_values(src["ra"], src["dec"])
    assert abs(x - (j - 0.5)) < 1e-9 and abs(y - 99.0) < 1e-9  # on the edge, to rounding
    data = np.ones((ny, nx))
    if valid_east:   # east is to the left (smaller x)
        data[:, j:] = np.nan
    else:
        data[:, :j] = np.nan
    add_footprint(m101, "edge", fits=write(tmp_path / "edge.fits", w, data))
    df = m101.sql("SELECT source_key, bounds FROM source_footprints WHERE footprint = 'edge'")
    got = dict(zip(df["source_key"], df["bounds"], strict=True))
    assert got[src["source_key"]] == "In"
    # a source a milli-pixel beyond the edge is Out, one a milli-pixel inside is In
    rows = ["name,ra,dec,err_ellipse_r0,err_ellipse_r1,err_ellipse_ang,flux_aper_b"]
    for name, dx in (("2CXO JBEYOND", 1e-3), ("2CXO JWITHIN", -1e-3)):
        ra, dec = w.pixel_to_world_values(j - 0.5 + (dx if valid_east else -dx), 99.0)
        rows.append(f"{name},{float(ra)!r},{float(dec)!r},1.0,1.0,0,1e-15")
    (tmp_path / "probe.csv").write_text("\n".join(rows) + "\n")
    m101.ingest_csc(tmp_path / "probe.csv", name="probe")
    df = m101.sql("SELECT source_key, bounds FROM source_footprints WHERE footprint = 'edge'")
    got = dict(zip(df["source_key"].str.strip(), df["bounds"], strict=True))
    assert got["2CXO JBEYOND"] == "Out" and got["2CXO JWITHIN"] == "In"


def test_weight_map_and_minimum_weight(m101, tmp_path):
    w = tan_wcs(300, 300, 2.0, rot_deg=-10.0)
    yy, xx = np.mgrid[0:300, 0:300]
    weight = np.where(xx < 150, 0.3, 1.0)     # a shallow half
    weight[yy < 40] = 0.0                      # no exposure at the bottom
    data = np.ones((300, 300))
    path = write(tmp_path / "w.fits", w, data, extra=weight)
    add_footprint(m101, "w0", fits=path, weight=path, weight_hdu=1)
    add_footprint(m101, "w5", fits=path, weight=path, weight_hdu=1, min_weight=0.5)
    for name, valid in (("w0", weight > 0), ("w5", weight >= 0.5)):
        df = footprint_rows(m101, name)
        want, tie = oracle(w, valid, df["ra"].to_numpy(), df["dec"].to_numpy())
        assert (tie > 1e-6).all()
        assert (df["inside"].to_numpy() == want).all() and want.sum() > 10
        assert (~want).sum() > 10
    fp = m101.sql("SELECT name, mask, valid_fraction FROM footprints ORDER BY name")
    assert list(fp["mask"]) == ["finite, non-zero; weight > 0 (w.fits)",
                                "finite, non-zero; weight >= 0.5 (w.fits)"]
    assert fp["valid_fraction"].tolist() == pytest.approx([260 / 300, 260 / 300 / 2])


def test_east_half_nan_no_data_sources_are_out(m101, tmp_path):
    """The issue's case: a TAN image on M101 whose east half is NaN."""
    w = tan_wcs(1800, 1800, 0.5)           # 15 arcmin square, north up, east left
    data = np.ones((1800, 1800))
    data[:, :900] = np.nan                 # east half: no data
    path = write(tmp_path / "half.fits", w, data)
    add_footprint(m101, "rect", fits=path, use_mask=False)   # the behaviour before
    add_footprint(m101, "half", fits=path)
    df = m101.sql("""SELECT f.footprint, f.inside, s.ra, s.dec FROM source_footprints f
                     JOIN xray_sources s USING (catalog, source_key)""")
    rect, half = df[df["footprint"] == "rect"], df[df["footprint"] == "half"]
    x, _ = w.world_to_pixel_values(rect["ra"].to_numpy(), rect["dec"].to_numpy())
    no_data = x < 899.5
    assert int((rect["inside"].to_numpy() & no_data).sum()) == 191   # In before
    x, _ = w.world_to_pixel_values(half["ra"].to_numpy(), half["dec"].to_numpy())
    assert int((half["inside"].to_numpy() & (x < 899.5)).sum()) == 0  # Out now
    assert int(half["inside"].sum()) == int((rect["inside"].to_numpy() & ~no_data).sum())


def test_cli_footprint_reports_the_mask_and_refuses_an_empty_image(m101_csc_dir, tmp_path):
    root = tmp_path / "s"
    shutil.copytree(m101_csc_dir, root)
    w = tan_wcs(400, 300, 1.5, rot_deg=25.0)
    path = write(tmp_path / "drz.fits", w, drizzled())
    out = run(root, "flags", "footprint", "drz", "--fits", str(path))
    assert "valid data: finite, non-zero (" in out and "% of the pixels" in out
    empty = write(tmp_path / "empty.fits", w, np.full((300, 400), np.nan))
    err = fails(root, "flags", "footprint", "e", "--fits", str(empty))
    assert "no pixel has data" in err
    err = fails(root, "flags", "footprint", "p", "--polygon", "1 2, 3 4, 5 6", "--min-weight",
                "0.5")
    assert "--weight/--min-weight need --fits" in err
