"""Cross-match usability (issue 11, items 8-10) on the real M101 excerpts.

- item 8: ``--radius-column`` takes any column of the left catalog, also one that
  ``xray_sources`` (through which CSC is read) names differently (``err_ellipse_r0``);
  every failure is one ``xcat: error:`` line.
- item 9: a table ingested without ``--key`` is keyed automatically (a unique id/name
  column, else the input row number), says so at ingest and in the registry, and
  cross-matches.
- item 10: ``--sigma`` refuses a catalog without errors on either side, naming it and the
  options; ``--right-err 0arcsec`` accepts exact positions on purpose.

Data: ``csc_m101_xrbid/cscresults_M101.vot`` (555 CSC sources) and
``M101_daoclean_f555w_acs_fk5.reg`` (1271 HST F555W positions), PROVENANCE.md section 1.
Oracle: astropy separation matrices of positions read from the store and the region file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from click.testing import CliRunner

import xcat
from tests.conftest import shared_file
from xcat.cli import cli
from xcat.errors import XcatError

REG = "csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"


@pytest.fixture(scope="module")
def m101(tmp_path_factory):
    root = tmp_path_factory.mktemp("usab") / "store"
    runner = CliRunner()
    r = runner.invoke(cli, ["--store", str(root), "ingest", "csc",
                            str(shared_file("csc_m101_xrbid/cscresults_M101.vot"))])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["--store", str(root), "ingest", "table", str(shared_file(REG)),
                            "--name", "hst"])
    assert r.exit_code == 0, r.output
    ingest_output = r.output
    with xcat.Store.open(root) as store:
        store.set_astrometric_frame("csc", "0.4875arcsec")
        csc = store.sql("SELECT x.source_key AS key, x.ra, x.dec, x.pos_err_1sigma, "
                        "c.err_ellipse_r0 FROM xray_sources x JOIN csc c "
                        "ON x.source_key = c.name ORDER BY key")
    text = shared_file(REG).read_text()
    circ = re.findall(r"circle\(([-\d.eE+]+),\s*([-\d.eE+]+),", text)
    stars = SkyCoord([float(a) for a, _ in circ] * u.deg, [float(d) for _, d in circ] * u.deg,
                     frame="fk5").icrs
    sep = SkyCoord(csc.ra.to_numpy() * u.deg, csc.dec.to_numpy() * u.deg)[:, None] \
        .separation(stars[None, :]).arcsec
    return root, ingest_output, csc, sep


def xcat_cli(root, *args):
    return CliRunner().invoke(cli, ["--store", str(root), *args])


def brute(csc, mask):
    i, j = np.nonzero(mask)
    return set(zip(csc.key.to_numpy()[i].tolist(), [str(k + 1) for k in j], strict=True))


def pairs_of(stdout):
    from io import StringIO

    p = pd.read_csv(StringIO(stdout), dtype={"right_key": str})
    return set(zip(p.left_key, p.right_key, strict=True)), p


def test_radius_column_of_the_csc_table_through_xray_sources(m101):
    root, _out, csc, sep = m101
    r = xcat_cli(root, "xmatch", "csc", "hst", "--radius-column", "err_ellipse_r0",
                 "--no-density", "--format", "csv", "--name", "r0")
    assert r.exit_code == 0, r.output
    got, p = pairs_of(r.stdout)
    want = brute(csc, sep <= csc.err_ellipse_r0.to_numpy()[:, None])
    assert got == want and len(want) > 100
    radius = dict(zip(csc.key, csc.err_ellipse_r0, strict=True))
    np.testing.assert_allclose(p.match_radius_arcsec, p.left_key.map(radius))


@pytest.mark.parametrize("args, words", [
    (["--radius-column", "nope"], "catalog 'csc' has no column 'nope' (--radius-column)"),
    (["--radius-column", "name"], "catalog 'csc'"),
    (["--radius-column", "flux_aper_b"], "not an angle"),
    (["--sigma", "2", "--left-err", "nope", "--right-err", "0arcsec"], "no column 'nope'"),
    (["--sigma", "2", "--right-err", "shape"], "catalog 'hst'"),
])
def test_every_radius_or_error_failure_is_one_error_line(m101, args, words):
    root, *_ = m101
    r = xcat_cli(root, "xmatch", "csc", "hst", *args, "--no-record")
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.stderr.startswith("xcat: error: ") and r.stderr.count("\n") == 1
    assert words in r.stderr


def test_table_without_key_is_keyed_and_cross_matches(m101, tmp_path):
    root, out, csc, sep = m101
    assert "note: key: 'region_id' (chosen" in out
    with xcat.Store.open(root) as store:
        assert list(store.catalog("hst")["key_columns"]) == ["region_id"]
        res = store.xmatch("csc", "hst", radius="1arcsec", density=False, record=False)
    assert {(a, b) for a, b in zip(res.pairs.column("left_key").to_pylist(),
                                   res.pairs.column("right_key").to_pylist(),
                                   strict=True)} == brute(csc, sep <= 1.0)
    # no id-like column: the input row number, stable across re-ingests
    stars = pd.DataFrame({"ra": [210.8, 210.81, 210.82], "dec": [54.3, 54.31, 54.32],
                          "mag": [20.1, 21.0, 22.3]})
    stars.to_csv(tmp_path / "plain.csv", index=False)
    # two unique id-like columns: ambiguous, so the row number too
    stars.assign(id=[7, 8, 9], name=["a", "b", "c"]).to_csv(tmp_path / "two.csv", index=False)
    r = xcat_cli(root, "ingest", "table", str(tmp_path / "plain.csv"), "--name", "plain")
    assert r.exit_code == 0 and "note: key: 'row_id', the input row number" in r.output
    r = xcat_cli(root, "ingest", "table", str(tmp_path / "two.csv"), "--name", "two")
    assert r.exit_code == 0 and "id, name are all unique" in r.output
    with xcat.Store.open(root) as store:
        assert list(store.catalog("plain")["key_columns"]) == ["row_id"]
        rows = store.sql("SELECT row_id, mag FROM plain ORDER BY row_id")
        assert rows.row_id.tolist() == [1, 2, 3] and rows.mag.tolist() == [20.1, 21.0, 22.3]
        res = store.xmatch("plain", "two", radius="1arcsec", density=False, record=False)
        assert sorted(res.pairs.column("left_key").to_pylist()) == ["1", "2", "3"]
        # a catalog registered without any key (older stores): the message names it and the fix
        with store.writing() as con:
            con.execute("UPDATE catalogs SET key_columns = [] WHERE name = 'two'")
        with pytest.raises(XcatError, match=r"catalog 'two' has no key column.*--key"):
            store.xmatch("plain", "two", radius="1arcsec", record=False)


def test_sigma_refuses_missing_errors_on_either_side(m101):
    root, _out, csc, sep = m101
    r = xcat_cli(root, "xmatch", "csc", "hst", "--sigma", "2", "--no-record")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert "catalog 'hst'" in r.stderr and "--right-err COL" in r.stderr
    assert "--right-err 0arcsec" in r.stderr
    r = xcat_cli(root, "xmatch", "hst", "csc", "--sigma", "2", "--no-record")
    assert r.exit_code == 1 and "catalog 'hst'" in r.stderr and "--left-err" in r.stderr
    # zero accepted explicitly: each pair within 2 x the CSC 1-sigma error
    r = xcat_cli(root, "xmatch", "csc", "hst", "--sigma", "2", "--right-err", "0arcsec",
                 "--no-density", "--format", "csv", "--no-record")
    assert r.exit_code == 0, r.output
    got, _ = pairs_of(r.stdout)
    assert got == brute(csc, sep <= 2 * csc.pos_err_1sigma.to_numpy()[:, None])
    # a constant error is added in quadrature, on the left as on the right
    with xcat.Store.open(root) as store:
        res = store.xmatch("csc", "hst", sigma=2, right_err="0.3arcsec", density=False,
                           record=False)
        swapped = store.xmatch("hst", "csc", sigma=2, left_err="0.3arcsec", density=False,
                               record=False)
    comb = np.hypot(csc.pos_err_1sigma.to_numpy(), 0.3)[:, None]
    want = brute(csc, sep <= 2 * comb)
    left, right = (res.pairs.column(c).to_pylist() for c in ("left_key", "right_key"))
    assert set(zip(left, right, strict=True)) == want
    left, right = (swapped.pairs.column(c).to_pylist() for c in ("right_key", "left_key"))
    assert set(zip(left, right, strict=True)) == want
