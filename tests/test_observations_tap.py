"""``xcat ingest csc --cone ... --with-observations`` against a local TAP service
(tests/tap_server.py): the exact ADQL of both queries, what lands in flux_observations,
and failures that leave the store byte-identical.

Recorded responses, assembled from real CSC 2.0 rows of NGC 3532
(../shared/data/csc_muwclass/NGC3532/): the master answer is the first 20 sources of
NGC3532_conesearch.csv (positions converted from sexagesimal to degrees); the
per-observation answer is those sources' rows of NGC3532_per.csv with the columns the
query selects (the ".1" per-observation block, renamed). The export has no livetime, so
the recorded answer has none either (CIAO's search_csc selects o.livetime from the CSC,
so the column exists there; its values are not checked offline).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from conftest import shared_file
from tap_server import Reply, TapServer, error_document, votable_bytes

from tests.cli_helpers import fails, run
from xcat import Store
from xcat.jobs.observations import observation_rows, observations_adql
from xcat.remote import adql

pytestmark = pytest.mark.filterwarnings("ignore::astropy.units.UnitsWarning")
CONE = ("166.4 -58.8", "6arcmin")
OBS_COLUMNS = ["obsid", "obi", "region_id", "gti_obs", "gti_end", "instrument",
               *[f"flux_aper90_{p}{b}" for b in "bsmh" for p in ("", "lolim_", "hilim_")],
               "var_prob_b"]


def recorded() -> tuple[bytes, bytes, list[str]]:
    folder = shared_file("csc_muwclass/NGC3532/NGC3532_per.csv").parent
    cone = pd.read_csv(folder / "NGC3532_conesearch.csv", dtype=str).head(20)
    names = cone["name"].str.strip().tolist()
    c = SkyCoord(cone["ra"].str.strip(), cone["dec"].str.strip(), unit=(u.hourangle, u.deg))
    master = Table()
    master["name"] = names
    master["ra"], master["dec"] = c.ra.deg * u.deg, c.dec.deg * u.deg
    for col in ("err_ellipse_r0", "err_ellipse_r1"):
        master[col] = pd.to_numeric(cone[col]).to_numpy() * u.arcsec
    master["err_ellipse_ang"] = pd.to_numeric(cone["err_ellipse_ang"]).to_numpy() * u.deg
    for col in ("significance", "var_intra_prob_b", "var_inter_prob_b"):
        master[col] = pd.to_numeric(cone[col].str.strip(), errors="coerce").to_numpy()
    for col in ("flux_aper90_b", "flux_aper90_lolim_b", "flux_aper90_hilim_b"):
        master[col] = pd.to_numeric(cone[col], errors="coerce").to_numpy() * (
            u.erg / u.s / u.cm**2)
    per = pd.read_csv(folder / "NGC3532_per.csv", dtype=str)
    per["name"] = per["name"].str.strip()
    per = per[per["name"].isin(names)]
    obs = Table()
    obs["name"] = per["name"].tolist()
    for col in OBS_COLUMNS:
        src = f"{col}.1" if f"{col}.1" in per.columns else col
        v = per[src].str.strip()
        if col in ("gti_obs", "gti_end", "instrument"):
            obs[col] = v.tolist()
        elif col in ("obsid", "obi", "region_id"):
            obs[col] = v.astype(int).to_numpy()
        else:
            obs[col] = pd.to_numeric(v, errors="coerce").to_numpy()
    return votable_bytes(master), votable_bytes(obs), names


@pytest.fixture
def tap(tmp_path, monkeypatch):
    replies: dict[str, Reply] = {}

    def respond(req):
        which = "obs" if "observation_source" in req.query else "master"
        return replies.get(which, Reply(b"not found", 404, "text/plain"))

    with TapServer(respond) as server:
        config = tmp_path / "services.toml"
        config.write_text(f"""
[defaults]
timeout = 2.0
retries = 0
backoff = 0.0

[services.csc21]
url = "{server.url}/csc21tap"
""")
        monkeypatch.setenv("XCAT_SERVICES_CONFIG", str(config))
        server.replies = replies
        yield server


def test_with_observations_sends_both_queries_and_stores_the_fluxes(tap, tmp_path):
    master, obs, names = recorded()
    tap.replies.update(master=Reply(master), obs=Reply(obs))
    root = tmp_path / "store"
    out = run(root, "ingest", "csc", "--cone", CONE[0], "--radius", CONE[1],
              "--with-observations")
    assert "csc21: loaded 20 rows" in out
    assert "flux_observations: 70 fluxes of 20 sources in 1 observations" in out
    first, second = tap.requests
    cone = adql.Cone(166.4, -58.8, 0.1)
    assert first.query == adql.csc_cone(cone, schema="csc21")
    assert second.path == "/csc21tap/sync"
    assert second.query == observations_adql(cone, schema="csc21")
    assert second.query == (
        "SELECT m.name, o.obsid, o.obi, o.region_id, o.gti_obs, o.gti_end, o.livetime, "
        "o.instrument,\n"
        "       o.flux_aper90_b, o.flux_aper90_lolim_b, o.flux_aper90_hilim_b,\n"
        "       o.flux_aper90_s, o.flux_aper90_lolim_s, o.flux_aper90_hilim_s,\n"
        "       o.flux_aper90_m, o.flux_aper90_lolim_m, o.flux_aper90_hilim_m,\n"
        "       o.flux_aper90_h, o.flux_aper90_lolim_h, o.flux_aper90_hilim_h,\n"
        "       o.var_prob_b\n"
        "FROM csc21.master_source m, csc21.master_stack_assoc a, csc21.stack_source s,\n"
        "     csc21.stack_observation_assoc b, csc21.observation_source o\n"
        "WHERE (m.dec BETWEEN -58.90000001 AND -58.69999999) AND "
        "(m.ra BETWEEN 166.2069595952 AND 166.5930404048)\n"
        "  AND dbo.cone_distance(m.ra, m.dec, 166.4, -58.8) <= 6.0\n"
        "  AND m.name = a.name\n"
        "  AND s.detect_stack_id = a.detect_stack_id AND s.region_id = a.region_id\n"
        "  AND s.detect_stack_id = b.detect_stack_id AND s.region_id = b.region_id\n"
        "  AND o.obsid = b.obsid AND o.obi = b.obi AND o.region_id = b.region_id\n"
        "ORDER BY m.name, o.obsid, o.obi")
    with Store.open(root) as s:
        f = s.sql("SELECT * FROM flux_observations")
        assert set(f["catalog"]) == {"csc21"} and set(f["source_key"]) == set(names)
        assert set(f["origin"]) == {tap.url + "/csc21tap"}
        assert set(f["origin_detail"]) == {second.query}
        h = s.sql("SELECT * FROM flux_history WHERE id_key = $k AND preferred_band",
                  {"k": names[0]})
        assert set(h["level"]) == {"observation", "catalog"}


def test_failing_observation_query_leaves_the_store_as_it_was(tap, tmp_path):
    master, _, _ = recorded()
    root = tmp_path / "store"
    run(root, "init")  # the store exists
    tap.replies.update(master=Reply(master), obs=Reply(error_document("no such column")))
    err = fails(root, "ingest", "csc", "--cone", CONE[0], "--radius", CONE[1],
                "--with-observations")
    assert "no such column" in err
    assert len(tap.requests) == 2


def test_option_refusals_and_dry_run(tap, tmp_path):
    root = tmp_path / "store"
    vot = shared_file("csc_m101_xrbid/cscresults_M101.vot")
    assert "--with-observations applies to service queries" in fails(
        root, "ingest", "csc", str(vot), "--with-observations")
    assert "--with-observations" in fails(root, "ingest", "csc", "--adql", "SELECT 1",
                                          "--with-observations")
    out = run(root, "ingest", "csc", "--cone", CONE[0], "--radius", CONE[1],
              "--with-observations", "--dry-run")
    assert out.count("ADQL:") == 2 and "csc21.observation_source o" in out
    assert tap.requests == []


def test_livetime_is_the_exposure():
    df = pd.DataFrame({"name": ["S"], "obsid": [1], "obi": [0], "livetime": [41234.5],
                       "flux_aper_b": [1e-14], "flux_aper_lolim_b": [8e-15],
                       "flux_aper_hilim_b": [1.2e-14]})
    rows, notes = observation_rows(df, catalog="c", origin="o", detail="", sha256="")
    assert rows["exposure_s"].tolist() == [41234.5] and rows["obs_id"].tolist() == ["1.0"]
    assert rows["flux_column"].tolist() == ["flux_aper_b"] and np.isnan(rows["mjd"][0])
    assert notes == ["fluxes from flux_aper_b"]
