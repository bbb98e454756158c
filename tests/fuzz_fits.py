"""FITS mutations of the fuzz suite (see :mod:`tests.fuzz_inputs`): corrupt headers made
byte by byte (the 2880-byte blocks kept), bad cells and empty tables written by astropy.
"""

from __future__ import annotations

import io
import random
import warnings
from pathlib import Path

import numpy as np

#: Keywords the BINTABLE header cannot do without; a flipped byte in one is fatal.
REQUIRED = (b"XTENSION", b"BITPIX  ", b"NAXIS   ", b"NAXIS1  ", b"NAXIS2  ", b"TFIELDS ",
            b"TFORM")


def mutate(base, path: Path, data: bytes, mutation: str, rng: random.Random) -> bytes:
    """The bytes of the mutated copy of the FITS base file ``path``."""
    from astropy.io import fits

    with fits.open(path) as hdul:
        info = hdul[1].fileinfo()
        hdr_at, dat_at = info["hdrLoc"], info["datLoc"]
        n_rows, width = hdul[1].header["NAXIS2"], hdul[1].header["NAXIS1"]
    cards = [(hdr_at + i, data[hdr_at + i:hdr_at + i + 80])
             for i in range(0, dat_at - hdr_at, 80)]
    if mutation == "truncate":  # inside a header or the table data, never in the padding
        return data[:rng.randrange(1, dat_at + n_rows * width)]
    if mutation == "flip":
        at, card = rng.choice([c for c in cards if c[1].startswith(REQUIRED)])
        i = at + rng.randrange(len(card[:8].rstrip()))
        return data[:i] + bytes([data[i] ^ 0x80]) + data[i + 1:]
    if mutation == "no-end":
        at = next(a for a, c in cards if c.rstrip() == b"END")
        return data[:at] + b" " * 80 + data[at + 80:]
    if mutation == "naxis2-text":
        return _set_card(data, cards, b"NAXIS2  ", b"'many'")
    if mutation == "naxis2-big":
        return _set_card(data, cards, b"NAXIS2  ", str(n_rows * 50).encode())
    if mutation == "tform-bad":
        at, card = rng.choice([c for c in cards if c[1].startswith(b"TFORM")])
        return _set_card(data, [(at, card)], card[:8], b"'QZ'")
    return _table_edit(base, path, mutation, rng)


def _set_card(data: bytes, cards, keyword: bytes, value: bytes) -> bytes:
    at = next(a for a, c in cards if c.startswith(keyword))
    card = (keyword.ljust(8) + b"= " + value.rjust(20)).ljust(80)
    return data[:at] + card + data[at + 80:]


def _table_edit(base, path: Path, mutation: str, rng: random.Random) -> bytes:
    import astropy.units as u
    from astropy.table import Table

    t = Table.read(path)
    if mutation == "header-only":
        t = t[:0]
    elif mutation == "unit":
        t[base.unit].unit = u.Unit("furlong^^", parse_strict="silent")
    else:
        i = rng.randrange(len(t))
        if mutation == "dup-key":
            k = (i + 1 + rng.randrange(len(t) - 1)) % len(t)
            t[base.key][k] = t[base.key][i]
        else:
            col, value = {
                "nan": (base.ra, np.nan), "inf": (base.dec, rng.choice([np.inf, -np.inf])),
                "ra-range": (base.ra, rng.choice([360.5, -0.25, 721.0])),
                "dec-range": (base.dec, rng.choice([90.5, -91.0, 180.0])),
                "flux-neg": (base.flux, -1.5e-15), "flux-inf": (base.flux, np.inf),
                "dist-neg": ("bestdist", -3.2), "dist-inf": ("bestdist", np.inf),
            }[mutation]
            t[col][i] = value
    buf = io.BytesIO()
    with warnings.catch_warnings():  # astropy frowns on writing furlong^^ (on purpose)
        warnings.simplefilter("ignore")
        t.write(buf, format="fits")
    return buf.getvalue()
