"""A SIMULATED multi-mission flux history on top of the real NGC 3532 CSC excerpt.

Real: the CSC 2.0 cone search and per-observation table of NGC 3532
(../shared/data/csc_muwclass/NGC3532/, one Chandra observation, ObsID 8941, 2008).
Simulated (invented numbers, real column names):
- two more Chandra observations (2012, 2016) of 2CXO J110423.1-585445 (source A), as a
  per-observation CSV with the CSC columns;
- a 2RXS row (count rate) and an eRASS1 row (ML_FLUX_0) at the position of source A;
- an eRASS1 row at the position of 2CXO J110436.3-585024 (source B), which the real
  Chandra observation gives as an upper limit (flux_aper90_b = 0, hilim 2.251e-16):
  a transient seen by eROSITA only;
- cross-match runs csc x erass1 and csc x rxs2 (5 arcsec) link them.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

A = "2CXO J110423.1-585445"
B = "2CXO J110436.3-585024"
A_RADEC = (166.09625, -58.9125)  # filled in from the store by build()
SIM_OBS = """name,obsid,obi,region_id,gti_obs,gti_end,livetime,instrument,flux_aper90_b,\
flux_aper90_lolim_b,flux_aper90_hilim_b
{a},13001,1,5,2012-03-01T00:00:00,2012-03-01T12:00:00,40000,ACIS,9.0e-15,7.5e-15,1.05e-14
{a},17001,1,7,2016-06-01T00:00:00,2016-06-01T10:00:00,36000,ACIS,2.0e-15,1.2e-15,2.8e-15
"""
#: 2RXS: count rate 0.08 ct/s -> 0.448e-12 erg/cm2/s in 0.1-2.4 keV (MPE Gamma=2 ECF)
RXS2_COUNT_RATE, RXS2_ERR = 0.08, 0.01
#: eRASS1 0.2-2.3 keV fluxes of A and B, with their 68% errors
ERASS_A, ERASS_A_LOW, ERASS_A_UP = 6.0e-14, 1.5e-14, 1.5e-14
ERASS_B, ERASS_B_LOW, ERASS_B_UP = 3.0e-14, 0.8e-14, 0.9e-14


def build(store, shared: Path, tmp: Path) -> None:
    """Ingest the real NGC 3532 excerpt and the simulated rows into ``store``."""
    from xcat.jobs.file import ingest_file
    from xcat.jobs.observations import ingest_observation_file

    store.ingest_csc(shared / "NGC3532_conesearch.csv")
    ingest_observation_file(store, shared / "NGC3532_per.csv", "csc")
    sim = tmp / "sim_chandra_obs.csv"
    sim.write_text(SIM_OBS.format(a=A))
    ingest_observation_file(store, sim, "csc")
    pos = store.sql("SELECT name, ra, dec FROM csc WHERE name IN ($a, $b) ORDER BY name",
                    {"a": A, "b": B}).set_index("name")
    (ra_a, de_a), (ra_b, de_b) = pos.loc[A].tolist(), pos.loc[B].tolist()
    pq.write_table(pa.table({
        "name": ["2RXS J110423.1-585445"], "ra": [ra_a], "dec": [de_a],
        "skyfield_number": [930701], "detection_likelihood": [25.0],
        "count_rate": [RXS2_COUNT_RATE], "count_rate_error": [RXS2_ERR],
        "exposure": [420.0], "hardness_ratio_1": [0.1], "hardness_ratio_1_error": [0.1],
        "hardness_ratio_2": [0.1], "hardness_ratio_2_error": [0.2]}), tmp / "rxs2.parquet")
    t = pa.table({
        "IAUNAME": ["1eRASS J110423.1-585445", "1eRASS J110436.3-585024"],
        "RA": [ra_a, ra_b], "DEC": [de_a, de_b], "POS_ERR": [3.0, 3.0],
        "ML_RATE_0": [0.05, 0.03], "ML_FLUX_0": [ERASS_A, ERASS_B],
        "ML_FLUX_LOWERR_0": [ERASS_A_LOW, ERASS_B_LOW],
        "ML_FLUX_UPERR_0": [ERASS_A_UP, ERASS_B_UP], "DET_LIKE_0": [30.0, 15.0],
        "EXT_LIKE": [0.0, 0.0], "FLAG_OPT": [0, 0]})
    t = t.cast(pa.schema([f.with_metadata({b"unit": b"arcsec"}) if f.name == "POS_ERR"
                          else f for f in t.schema]))
    pq.write_table(t, tmp / "erass1.parquet")
    ingest_file(store, tmp / "rxs2.parquet", kind="rxs2", name="rxs2")
    ingest_file(store, tmp / "erass1.parquet", kind="erass1", name="erass1")
    store.xmatch("csc", "erass1", radius="5arcsec", name="csc_x_erass1")
    store.xmatch("csc", "rxs2", radius="5arcsec", name="csc_x_rxs2")
