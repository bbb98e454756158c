"""Catalog names may not shadow the store's own objects (regression: a catalog named
``luminosities`` had its view overwritten by the science view of that name)."""

from __future__ import annotations

import pytest
from cli_helpers import fails, run

from xcat.catalog.build import check_name, reserved_names
from xcat.errors import XcatError
from xcat.store import views


@pytest.fixture
def root(tmp_path):
    csv = tmp_path / "stars.csv"
    csv.write_text("id,ra,dec\n1,10.0,20.0\n2,10.1,20.1\n")
    store = tmp_path / "store"
    run(store, "ingest", "table", str(csv), "--name", "stars", "--key", "id")
    return store, csv


@pytest.mark.parametrize("name", ["luminosities", "source_flags", "classification_events",
                                  "hosts", "xray_sources", "best_counterparts",
                                  "stg_xray__x", "csc_position_errors", "Luminosities"])
def test_store_object_names_are_refused(root, name):
    store, csv = root
    err = fails(store, "ingest", "table", str(csv), "--name", name, "--key", "id")
    assert "reserved" in err


def test_every_derived_view_and_schema_table_is_reserved():
    assert views.view_names() <= reserved_names()
    for name in ("catalogs", "catalog_columns", "flag_rules", "footprints", "products"):
        with pytest.raises(XcatError, match="reserved"):
            check_name(name)
    assert check_name("hst_f555w") == "hst_f555w"
