"""SYNTHETIC 2RXS rows for CARMENES M dwarfs (not real ROSAT data), for the per-source
distance and luminosity tests and the README example.

Seeded: for every CARMENES star (Cifuentes et al. 2020 excerpt) with a parallax and a
bolometric luminosity, an X-ray luminosity log(L_X/L_bol) ~ N(-4.4, 0.8) with the
coronal saturation at -3 (values above become -3 + N(0, 0.1)), an HR1 ~ N(-0.1, 0.35) in
[-1, 1]; the 0.1-2.4 keV flux is L_X / (4 pi d^2) with d = 1/Plx, the count rate
F / ECF(HR1) with the SFG95 coronal factor (5.30 HR1 + 8.31) 1e-12, and the counts a
Poisson draw over an exposure of 200-800 s. A source is "detected" with >= 8 counts; its
catalog count rate, HR1 and their errors are then the noisy measured ones. Positions are
offset by N(0, 8 arcsec) per axis from the J2000 position. Columns carry the real HEASARC
rass2rxs names (DOMAIN.md Appendix A); ``remarks`` says SYNTHETIC on every row, and the
names start with ``2RXS SYNTH``.

Usage: ``python -m tests.mdwarf_2rxs OUT.parquet [--seed 16]`` (from the repository).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from astropy import units as u

CARMENES = "carmenes_cifuentes2020/cif20.Mother.v01.csv"
L_SUN_ERG_S = 3.828e33  # IAU 2015 nominal solar luminosity, erg/s
SEED = 16


def simulate(carmenes_csv: Path, seed: int = SEED) -> pd.DataFrame:
    """Synthetic 2RXS detections of CARMENES stars, with the injected truth columns
    (``true_*``, ``Karmn``) that a test compares against.
    """
    rng = np.random.default_rng(seed)
    c = pd.read_csv(carmenes_csv, usecols=["Karmn", "RA_J2000", "DE_J2000", "SpTnum", "Plx",
                                           "ePlx", "Lbol"])
    c = c[c["Plx"].notna() & c["Lbol"].notna() & (c["Plx"] > 0)].reset_index(drop=True)
    n = len(c)
    log_rx = rng.normal(-4.4, 0.8, n)
    sat = log_rx > -3.0
    log_rx[sat] = -3.0 + rng.normal(0.0, 0.1, sat.sum())
    lx = 10 ** log_rx * c["Lbol"].to_numpy() * L_SUN_ERG_S
    d_cm = (c["Plx"].to_numpy() * u.mas).to(u.cm, equivalencies=u.parallax()).value
    flux = lx / (4 * np.pi * d_cm ** 2)
    hr1 = np.clip(rng.normal(-0.1, 0.35, n), -1.0, 1.0)
    cr_true = flux / ((5.30 * hr1 + 8.31) * 1e-12)
    exposure = rng.uniform(200.0, 800.0, n)
    counts = rng.poisson(cr_true * exposure)
    det = counts >= 8
    k = counts[det].astype(float)
    exp = exposure[det]
    hr1_err = np.minimum(2.0 / np.sqrt(k), 1.0)
    hr1_obs = np.clip(hr1[det] + rng.normal(0.0, 1.0, det.sum()) * hr1_err, -1.0, 1.0)
    ra = c["RA_J2000"].to_numpy()[det]
    dec = c["DE_J2000"].to_numpy()[det]
    off = rng.normal(0.0, 8.0, (2, det.sum())) / 3600.0
    dec_o = np.clip(dec + off[1], -90.0, 90.0)
    ra_o = (ra + off[0] / np.cos(np.radians(dec))) % 360.0
    names = [f"2RXS SYNTH J{r:09.5f}{d:+09.5f}" for r, d in zip(ra_o, dec_o, strict=True)]
    return pd.DataFrame({
        "name": names, "ra": ra_o, "dec": dec_o,
        "skyfield_number": 990000 + np.arange(det.sum()),
        "detection_likelihood": np.round(2.0 * k, 2),
        "counts": k, "counts_error": np.sqrt(k),
        "count_rate": k / exp, "count_rate_error": np.sqrt(k) / exp, "exposure": exp,
        "hardness_ratio_1": hr1_obs, "hardness_ratio_1_error": hr1_err,
        "hardness_ratio_2": np.zeros(det.sum()),
        "hardness_ratio_2_error": np.full(det.sum(), 0.5),
        "source_quality_flag": np.zeros(det.sum(), dtype=int),
        "remarks": f"SYNTHETIC: simulated by xcat tests/mdwarf_2rxs.py (seed {seed}); "
                   "not ROSAT data",
        "Karmn": c["Karmn"].to_numpy()[det], "true_log_lx": np.log10(lx[det]),
        "true_log_rx": log_rx[det], "true_hr1": hr1[det]})


TRUTH = ["Karmn", "true_log_lx", "true_log_rx", "true_hr1"]


def write(carmenes_csv: Path, out: Path, seed: int = SEED) -> pd.DataFrame:
    """Write the 2RXS-named columns to ``out`` (Parquet, units in the field metadata);
    return the full frame with the truth columns.
    """
    df = simulate(carmenes_csv, seed)
    t = pa.Table.from_pandas(df.drop(columns=TRUTH), preserve_index=False)
    units = {"count_rate": "ct / s", "count_rate_error": "ct / s", "exposure": "s",
             "ra": "deg", "dec": "deg"}
    t = t.cast(pa.schema([f.with_metadata({b"unit": units[f.name].encode()})
                          if f.name in units else f for f in t.schema]))
    pq.write_table(t, out)
    return df


if __name__ == "__main__":
    args = sys.argv[1:]
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else SEED
    from tests.conftest import SHARED_DATA

    data = SHARED_DATA / CARMENES
    frame = write(data, Path(args[0]), seed)
    print(f"{len(frame)} SYNTHETIC 2RXS detections of CARMENES stars written to {args[0]} "
          f"(seed {seed})")
