"""Saved samples built on cross-match runs, on the real M101 field: CSC sources
(csc_m101_xrbid/cscresults_M101.vot) x HST F555W positions (M101_daoclean_f555w_acs_fk5.reg),
matched at each source's 2-sigma radius with XRBID's frame error (0.4875 arcsec)."""

from __future__ import annotations

import pytest

from tests.conftest import shared_file
from xcat import XcatError
from xcat.output.samples import list_samples, run_sample

BUILT_IN = {"xrb_candidates", "snr_candidates", "counterparts_within_2sigma",
            "unmatched_sources", "luminosity_function"}


def test_built_in_samples_are_listed_with_titles_and_params():
    samples = {s.name: s for s in list_samples()}
    assert set(samples) >= BUILT_IN
    for name in BUILT_IN:
        assert samples[name].title and samples[name].description and samples[name].params


@pytest.fixture
def matched(store, m101_vot):
    store.ingest_csc(m101_vot)
    store.ingest_table(shared_file("csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
                       name="hst", key="region_id")
    store.set_astrometric_frame("csc", "0.4875arcsec")
    store.xmatch("csc", "hst", sigma=2, right_err="0arcsec", name="m101_2sig")
    return store


def test_counterparts_and_unmatched_partition_the_sources(matched):
    pairs = run_sample(matched, "counterparts_within_2sigma", {"run": "m101_2sig"})
    unmatched = run_sample(matched, "unmatched_sources", {"run": "m101_2sig"})
    assert len(pairs) > 0
    assert (pairs["sep_arcsec"] <= pairs["match_radius_arcsec"] + 1e-9).all()
    matched_keys = set(pairs["xray_source"])
    assert not matched_keys & set(unmatched["source_key"])
    assert len(matched_keys) + len(unmatched) == 555
    # rank 1 is the nearest candidate of each source
    first = pairs[pairs["rank"] == 1].set_index("xray_source")["sep_arcsec"]
    assert (pairs.groupby("xray_source")["sep_arcsec"].min() == first).all()


def test_sample_needs_its_parameter(matched):
    with pytest.raises(XcatError, match="needs --param run"):
        run_sample(matched, "unmatched_sources", {})
