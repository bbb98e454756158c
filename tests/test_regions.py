"""DS9 region files as position catalogs (``xcat ingest regions`` / xcat.regions_io):

- the real csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg (1271 fk5 circles of HST/ACS
  F555W sources in M101, radius 1"), checked against a plain-text parse of the file;
- small hand-made files for ellipses, points, icrs/galactic frames, and the refusals
  (image-coordinate regions need a WCS; an empty file holds no regions).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from click.testing import CliRunner

from tests.conftest import shared_file
from xcat import Store
from xcat.cli import cli


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--store", str(root), *args])


def test_m101_hst_region_file(tmp_path):
    path = shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg")
    root = tmp_path / "store"
    r = run(root, "ingest", "regions", str(path), "--name", "hst_f555w")
    assert r.exit_code == 0, r.stderr
    assert "hst_f555w: loaded 1271 rows" in r.output
    # oracle: the circle(...) lines read as text
    circles = re.findall(r"circle\(([-\d.e]+),\s*([-\d.e]+),\s*([\d.]+)\"\)", path.read_text())
    assert len(circles) == 1271
    expect = np.array([[float(a), float(b), float(c)] for a, b, c in circles])
    with Store.open(root) as store:
        got = store.sql("SELECT region_id, ra, dec, shape, radius FROM hst_f555w "
                        "ORDER BY region_id")
        # cone search on the region catalog agrees with astropy brute force
        near = store.cone("hst_f555w", 210.8023, 54.3487, "3arcsec")
    np.testing.assert_allclose(got[["ra", "dec"]].to_numpy(), expect[:, :2], atol=1e-9)
    assert set(got["shape"]) == {"circle"} and set(got["radius"]) == {1.0}
    sep = SkyCoord(expect[:, 0] * u.deg, expect[:, 1] * u.deg).separation(
        SkyCoord(210.8023 * u.deg, 54.3487 * u.deg)).arcsec
    assert len(near) == int((sep <= 3).sum()) > 0


def test_ellipses_points_and_frames(tmp_path):
    reg = tmp_path / "mixed.reg"
    reg.write_text('# Region file format: DS9 version 4.1\n'
                   'icrs\n'
                   'ellipse(10.0,20.0,4",2",30) # text={src A}\n'
                   'point(10.1,20.1) # point=x\n'
                   'galactic\n'
                   'circle(120.0,-5.0,2.5")\n')
    root = tmp_path / "store"
    r = run(root, "ingest", "regions", str(reg))
    assert r.exit_code == 0, r.stderr
    with Store.open(root) as store:
        got = store.sql("SELECT * FROM mixed ORDER BY region_id")
    assert got["shape"].tolist() == ["ellipse", "point", "circle"]
    # DS9 writes an ellipse's semi-axes: ellipse(x, y, a, b, angle)
    assert (got["semi_major"][0], got["semi_minor"][0]) == pytest.approx((4.0, 2.0))
    assert got["label"][0] == "src A"
    gal = SkyCoord(l=120.0 * u.deg, b=-5.0 * u.deg, frame="galactic").icrs
    assert got["ra"][2] == pytest.approx(gal.ra.deg, abs=1e-9)
    assert got["dec"][2] == pytest.approx(gal.dec.deg, abs=1e-9)


@pytest.mark.parametrize(("text", "message"), [
    ("image\ncircle(100,100,5)\n", "no sky centre"),
    ("# Region file format: DS9 version 4.1\nfk5\n", "no regions"),
])
def test_refused_region_files_change_nothing(tmp_path, text, message):
    root = tmp_path / "store"
    good = tmp_path / "good.reg"
    good.write_text('fk5\ncircle(210.80229369134935, 54.348726432605694, 1")\n')
    ok = run(root, "ingest", "regions", str(good))
    assert ok.exit_code == 0
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
              if p.is_file()}
    bad = tmp_path / "bad.reg"
    bad.write_text(text)
    r = run(root, "ingest", "regions", str(bad))
    assert r.exit_code == 1 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert before == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
                      if p.is_file()}
