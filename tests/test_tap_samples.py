"""Saved samples (``samples.<name>``) and cross-match runs (``runs.<name>``) as TAP
tables: the rows equal ``xcat sample``'s for every host and the run's ``xmatch_pairs``,
TAP_SCHEMA and /tables list them with their columns, and samples that need a value the
store cannot list are not served.
"""

from __future__ import annotations

import io
import shutil
import warnings

import pytest
from astropy.io.votable import parse_single_table

import xcat
from xcat.errors import XcatError
from xcat.output.samples import run_sample
from xcat.server import tap, vosi
from xcat.server.sandbox import Sandbox


@pytest.fixture(scope="module")
def service(m101_host_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("tap_samples") / "store"
    shutil.copytree(m101_host_dir, root)
    with xcat.Store.open(root) as store:
        store.xmatch("csc", "csc_detections", radius="1arcsec", name="csc-self")
    return tap.TapService(Sandbox(root, timeout_s=30), max_rows=10_000), root


def _table(service, query):
    body, _ = service.query({"QUERY": query})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_single_table(io.BytesIO(body)).to_table()


def test_sample_rows_equal_xcat_sample(service):
    svc, root = service
    got = _table(svc, "SELECT host, name, log_lx FROM samples.xrb_candidates "
                      "WHERE host = 'M101' ORDER BY name")
    with xcat.Store.open(root, read_only=True) as store:
        want = run_sample(store, "xrb_candidates", {"host": "M101"}).sort_values("name")
    assert len(want) > 100
    assert list(got["name"]) == list(want["name"])
    assert set(got["host"]) == {"M101"}
    assert "log10" in got["log_lx"].description  # from the store's column metadata
    n = _table(svc, "SELECT COUNT(*) AS n FROM samples.luminosity_function")["n"][0]
    with xcat.Store.open(root, read_only=True) as store:
        assert n == len(run_sample(store, "luminosity_function", {"host": "M101"}))


def test_samples_are_listed(service):
    svc, _ = service
    tables = _table(svc, "SELECT schema_name, table_name FROM TAP_SCHEMA.tables "
                         "WHERE schema_name = 'samples'")
    names = set(tables["table_name"])
    assert {"samples.xrb_candidates", "samples.snr_candidates",
            "samples.luminosity_function"} <= names
    assert "samples.source_classifications" not in names  # needs one source: not served
    cols = _table(svc, "SELECT column_name FROM TAP_SCHEMA.columns "
                       "WHERE table_name = 'samples.xrb_candidates'")
    assert list(cols["column_name"])[:2] == ["host", "name"]
    doc = vosi.tables(svc.sandbox.schema()).decode()
    assert "<name>samples</name>" in doc and "<name>samples.xrb_candidates</name>" in doc
    with pytest.raises(XcatError, match="no such saved sample"):
        svc.query({"QUERY": "SELECT * FROM samples.source_classifications"})
    with pytest.raises(XcatError, match="unknown table xrb_candidates"):
        svc.query({"QUERY": "SELECT * FROM xrb_candidates"})


def test_runs_are_tables(service):
    svc, root = service
    got = _table(svc, 'SELECT left_key, right_key, sep_arcsec FROM runs."csc-self" '
                      "ORDER BY left_key, right_key")
    with xcat.Store.open(root, read_only=True) as store:
        want = store.sql("SELECT left_key, right_key FROM xmatch_pairs JOIN xmatch_runs "
                         "USING (run_id) WHERE name = 'csc-self' ORDER BY ALL")
    assert len(want) > 500
    assert list(zip(got["left_key"], got["right_key"], strict=True)) == list(
        zip(want["left_key"], want["right_key"], strict=True))
    assert str(got["sep_arcsec"].unit) == "arcsec"
    listed = _table(svc, "SELECT table_name, description FROM TAP_SCHEMA.tables "
                         "WHERE schema_name = 'runs'")
    assert list(listed["table_name"]) == ['runs."csc-self"']  # as ADQL writes it
    assert "csc x csc_detections" in listed["description"][0]
    with pytest.raises(XcatError, match="no such cross-match run"):
        svc.query({"QUERY": "SELECT * FROM runs.nothing"})
