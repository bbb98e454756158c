"""ADQL built for the remote ingests: exact text for the cases that matter (RA = 0/360
wrap, the poles, HEASARC CONTAINS and the upload join), and a property test that the
CSC RA/Dec box never loses a point of its cone. The oracle is independent of xcat:
astropy places points on and inside the cone, DuckDB evaluates the box predicate.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat.errors import XcatError
from xcat.remote import adql
from xcat.remote.adql import Cone

M101_ADQL = ("""SELECT m.name, m.ra, m.dec, m.err_ellipse_r0, m.err_ellipse_r1, m.err_ellipse_ang,
       m.significance, m.likelihood, m.likelihood_class,
       m.conf_flag, m.dither_warning_flag, m.extent_flag, m.pileup_flag, m.sat_src_flag,
       m.streak_src_flag, m.var_flag,
       m.flux_aper_b, m.flux_aper_lolim_b, m.flux_aper_hilim_b,
       m.flux_aper90_b, m.flux_aper90_lolim_b, m.flux_aper90_hilim_b,
       m.hard_hs, m.hard_hs_lolim, m.hard_hs_hilim, m.hard_hm, m.hard_hm_lolim, m.hard_hm_hilim,
       m.hard_ms, m.hard_ms_lolim, m.hard_ms_hilim,
       m.var_intra_prob_b, m.var_inter_prob_b, m.nh_gal, m.acis_time, m.hrc_time
FROM csc21.master_source m
WHERE (m.dec BETWEEN 54.14999999 AND 54.55000001) AND """
             """(m.ra BETWEEN 210.4568467619 AND 211.1431532381)
  AND dbo.cone_distance(m.ra, m.dec, 210.8, 54.35) <= 12.0
ORDER BY m.name""")


def test_csc_cone_exact_text():
    assert adql.csc_cone(Cone(210.80, 54.35, 0.2), schema="csc21") == M101_ADQL


def test_csc_cone_with_detections_joins_the_cscview_tables():
    q = adql.csc_cone(Cone(210.80, 54.35, 0.2), schema="csc2", detections=True)
    assert ("FROM csc2.master_source m, csc2.master_stack_assoc a, csc2.stack_source s,\n"
            "     csc2.stack_observation_assoc b, csc2.observation_source o") in q
    for clause in ("m.name = a.name",
                   "s.detect_stack_id = a.detect_stack_id AND s.region_id = a.region_id",
                   "s.detect_stack_id = b.detect_stack_id AND s.region_id = b.region_id",
                   "o.obsid = b.obsid AND o.obi = b.obi AND o.region_id = b.region_id"):
        assert f"  AND {clause}\n" in q
    assert "o.theta, o.src_cnts_aper_b" in q and "s.livetime, s.theta_mean" in q
    assert q.endswith("ORDER BY m.name, o.obsid, o.obi")


@pytest.mark.parametrize(("cone", "box"), [
    # RA just above 0: the RA range splits into [0, hi] OR [lo+360, 360]
    (Cone(0.05, 10.0, 0.1), "(m.dec BETWEEN 9.89999999 AND 10.10000001) AND "
     "(m.ra BETWEEN 0.0 AND 0.1515426728 OR m.ra BETWEEN 359.9484573272 AND 360.0)"),
    # RA just below 360
    (Cone(359.95, -10.0, 0.1), "(m.dec BETWEEN -10.10000001 AND -9.89999999) AND "
     "(m.ra BETWEEN 359.8484573272 AND 360.0 OR m.ra BETWEEN 0.0 AND 0.0515426728)"),
    # RA given as 360.02 is 0.02
    (Cone(360.02, 0.0, 0.05), "(m.dec BETWEEN -0.05000001 AND 0.05000001) AND "
     "(m.ra BETWEEN 0.0 AND 0.07000001 OR m.ra BETWEEN 359.96999999 AND 360.0)"),
    # the cone reaches the north pole: no RA constraint at all
    (Cone(123.4, 89.9, 0.2), "(m.dec BETWEEN 89.69999999 AND 90.0)"),
    # and the south pole
    (Cone(10.0, -89.95, 0.05), "(m.dec BETWEEN -90.0 AND -89.89999999)"),
    # an ordinary cone
    (Cone(83.63, 22.01, 0.5), "(m.dec BETWEEN 21.50999999 AND 22.51000001) AND "
     "(m.ra BETWEEN 83.0906934623 AND 84.1693065377)"),
])
def test_csc_box_wrap_and_poles(cone, box):
    assert adql.csc_box(cone) == box


def test_csc_box_is_wider_than_r_over_cos_dec():
    """At high Dec the exact half-width asin(sin r / cos dec) exceeds r / cos dec."""
    cone = Cone(100.0, 80.0, 5.0)
    lo = float(adql.csc_box(cone).split("m.ra BETWEEN ")[1].split(" AND")[0])
    assert 100.0 - lo > 5.0 / np.cos(np.radians(80.0)) + 0.05


def in_box(box: str, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Evaluate the ADQL box predicate with DuckDB (same syntax as SQL here)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE m (i INTEGER, ra DOUBLE, dec DOUBLE)")
    con.executemany("INSERT INTO m VALUES (?, ?, ?)",
                    [(i, float(r), float(d)) for i, (r, d) in enumerate(zip(ra, dec, strict=True))])
    inside = {r[0] for r in con.execute(f"SELECT i FROM m WHERE {box}").fetchall()}
    return np.array([i in inside for i in range(len(ra))])


@settings(max_examples=60, deadline=None)
@given(ra=st.floats(0, 360, exclude_max=True), dec=st.floats(-90, 90),
       radius=st.floats(1e-4, 20), frac=st.floats(0.0, 1.0))
def test_box_never_loses_a_point_of_the_cone(ra, dec, radius, frac):
    cone = Cone(ra, dec, radius)
    centre = SkyCoord(ra * u.deg, dec * u.deg)
    angles = np.linspace(0, 360, 73) * u.deg
    pts = centre.directional_offset_by(angles, radius * frac * u.deg)
    rim = centre.directional_offset_by(angles, radius * u.deg * (1 - 1e-12))
    ras = np.r_[pts.ra.deg, rim.ra.deg]
    decs = np.r_[pts.dec.deg, rim.dec.deg]
    assert in_box(adql.csc_box(cone), ras, decs).all()


def test_heasarc_cone_uses_adql_geometry():
    assert adql.heasarc_cone("rxs2", Cone(-0.5, -89.99, 30 / 60)) == (
        "SELECT * FROM rass2rxs\n"
        "WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 359.5, -89.99, 0.5))")
    assert adql.heasarc_cone("erass1", Cone(150.1, 2.2, 1 / 6)) == (
        "SELECT * FROM erass1main\n"
        "WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
        "CIRCLE('ICRS', 150.1, 2.2, 0.1666666667))")


def test_upload_join_like_the_heasarc_tutorial():
    assert adql.rxs2_upload_join(8 / 3600) == (
        "SELECT u.xcat_row, c.*\n"
        "FROM rass2rxs AS c, tap_upload.xcat_upload AS u\n"
        "WHERE 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), "
        "CIRCLE('ICRS', u.ra, u.dec, 0.0022222322))")


@pytest.mark.parametrize(("value", "text"), [
    (210.8, "210.8"), (-0.0, "0.0"), (12.0, "12.0"), (1e-12, "0.0"), (-30.25, "-30.25"),
    (0.1 + 0.2, "0.3"), (1e6, "1000000.0"), (359.99999999999, "360.0"),
])
def test_numbers_are_fixed_point(value, text):
    assert adql.num(value) == text


@pytest.mark.parametrize(("args", "msg"), [
    ((10.0, 91.0, 0.1), "outside [-90, 90]"),
    ((10.0, 0.0, 0.0), "must be > 0"),
    ((10.0, 0.0, 100.0), "<= 90 deg"),
    ((float("nan"), 0.0, 1.0), "finite"),
])
def test_bad_cones(args, msg):
    with pytest.raises(XcatError, match=msg.replace("[", r"\[").replace("]", r"\]")):
        Cone(*args)


def test_positions_in_degrees_or_sexagesimal():
    assert adql.parse_position("210.80 54.35") == (210.8, 54.35)
    assert adql.parse_position("210.80,54.35") == (210.8, 54.35)
    ra, dec = adql.parse_position("14:03:12.0 +54:21:00")
    assert (ra, dec) == pytest.approx((210.8, 54.35))
    with pytest.raises(XcatError, match="not 'RA DEC'"):
        adql.parse_position("M101")


def test_templates_take_only_numbers():
    """No template has a free-text slot: numbers, the CSC box/columns, and identifiers that
    the code checks against a strict pattern first (schema, VizieR table id, ra/dec columns)."""
    import re

    from xcat import resources

    slots = set()
    for f in resources.ingest_dir().glob("*/*.adql"):
        slots |= set(re.findall(r"\{(\w+)\}", f.read_text()))
    assert slots <= {"ra", "dec", "radius_deg", "radius_arcmin", "box", "schema", "columns",
                     "detection_columns", "table", "ra_col", "dec_col"}
    with pytest.raises(XcatError, match="not an identifier"):
        adql.csc_cone(Cone(1, 1, 1), schema="csc21; DROP")
