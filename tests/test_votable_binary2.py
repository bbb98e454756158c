"""The numpy BINARY2 writer (``xcat.server.votable_binary2``) against astropy's reader:
every mapped type with nulls, text of every length, ASCII and non-ASCII, empty results,
chunk boundaries, field metadata and the OVERFLOW marker; properties by hypothesis.
"""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pyarrow as pa
import pytest
from astropy.io.votable import parse
from hypothesis import given, settings
from hypothesis import strategies as st

from xcat.server import votable_binary2 as vb


def _read(doc: bytes):
    vot = parse(io.BytesIO(doc))
    return vot, vot.get_first_table().to_table()


def _same(arrow: pa.Array, column) -> None:
    """Values and nulls of an Arrow column equal those astropy read back."""
    values = arrow.to_pylist()
    mask = np.ma.getmaskarray(column)
    if pa.types.is_string(arrow.type) or pa.types.is_timestamp(arrow.type):
        values = ["" if v is None else v for v in values]  # astropy: no null text value
    assert [v is None for v in values] == mask.tolist()
    for v, got, m in zip(values, np.ma.getdata(column).tolist(), mask, strict=True):
        if m:
            continue
        if isinstance(v, float) and np.isnan(v):
            assert np.isnan(got)
        elif v == "":
            assert got == ""
        elif isinstance(v, dt.datetime):
            assert got.startswith(v.strftime("%Y-%m-%dT%H:%M:%S"))
        else:
            assert got == v, (got, v)


def test_every_type_round_trips_through_astropy():
    t = pa.table({
        "i8": pa.array([1, None, -3], pa.int8()),
        "i16": pa.array([-32768, 7, None], pa.int16()),
        "i32": pa.array([None, 2**31 - 1, -(2**31)], pa.int32()),
        "i64": pa.array([2**62, None, -1], pa.int64()),
        "u8": pa.array([0, 255, None], pa.uint8()),
        "u32": pa.array([2**32 - 1, None, 0], pa.uint32()),
        "f4": pa.array([1.5, None, -0.25], pa.float32()),
        "f8": pa.array([0.1, None, -2e300]),
        "nan": pa.array([float("nan"), 1.0, None]),
        "b": pa.array([True, None, False]),
        "s": pa.array(["2CXO J140312.5+542056", None, ""]),
        "uni": pa.array(["Ångström", "x", None]),
        "ts": pa.array([dt.datetime(2020, 1, 2, 3, 4, 5), None, dt.datetime(1999, 12, 31)]),
        "nul": pa.array([None, None, None], pa.null()),
        "cat": pa.array(["a", None, "a"]).dictionary_encode(),
        "dec": pa.array([1, None, 3], pa.decimal128(10, 2)),
    })
    vot, back = _read(vb.document(t, query="SELECT * FROM t"))
    kinds = {f.name: (f.datatype, f.arraysize) for f in vot.get_first_table().fields}
    assert kinds["i64"] == ("long", None) and kinds["f4"] == ("float", None)
    assert kinds["s"] == ("char", "*") and kinds["uni"] == ("unicodeChar", "*")
    assert kinds["b"] == ("boolean", None) and kinds["u8"] == ("unsignedByte", None)
    for name in ("i8", "i16", "i32", "i64", "u8", "u32", "f8", "b", "s", "uni", "ts"):
        _same(t.column(name).combine_chunks(), back[name])
    assert np.ma.getmaskarray(back["nan"]).tolist()[1:] == [False, True]
    assert np.ma.getdata(back["f4"])[0] == np.float32(1.5)
    assert list(np.ma.getdata(back["dec"])[[0, 2]]) == [1.0, 3.0]
    assert np.ma.getdata(back["nul"]).tolist() == ["", "", ""]


def test_null_flags_of_text_are_set():
    """Readers that keep text nulls (STILTS, TOPCAT) see them: the row's null bit is set."""
    import base64
    import re

    doc = vb.document(pa.table({"s": ["ab", None], "x": pa.array([None, 1], pa.int16())}),
                      query="q")
    raw = base64.b64decode(re.search(rb"<STREAM encoding=\"base64\">(.*?)</STREAM>", doc,
                                     re.S)[1])
    # row 1: flags 0b01000000 (x null), len 2, "ab", x=0; row 2: 0b10000000, len 0, x=1
    assert raw == (bytes([0x40]) + (2).to_bytes(4, "big") + b"ab" + (0).to_bytes(2, "big")
                   + bytes([0x80]) + (0).to_bytes(4, "big") + (1).to_bytes(2, "big"))


def test_metadata_status_and_overflow():
    f = pa.field("ra", pa.float64(), metadata={"unit": "deg", "ucd": "pos.eq.ra;meta.main",
                                                 "description": "Right ascension <ICRS> & co"})
    t = pa.table([pa.array([1.0, 2.0])], schema=pa.schema([f]))
    doc = vb.document(t, query='SELECT "ra"\n  FROM  t WHERE x < 1', overflow=True)
    vot, _back = _read(doc)
    res = vot.resources[0]
    assert res.type == "results"
    assert [(i.name, i.value) for i in res.infos][:2] == [
        ("QUERY_STATUS", "OK"), ("QUERY", 'SELECT "ra" FROM t WHERE x < 1')]
    assert doc.rindex(b'value="OVERFLOW"') > doc.rindex(b"</TABLE>")  # after the table
    fld = vot.get_first_table().fields[0]
    assert (str(fld.unit), fld.ucd, fld.description) == (
        "deg", "pos.eq.ra;meta.main", "Right ascension <ICRS> & co")
    assert b"OVERFLOW" not in vb.document(t, query="q")


def test_empty_result_and_chunk_boundaries(monkeypatch):
    empty = pa.table({"a": pa.array([], pa.float64()), "s": pa.array([], pa.string())})
    assert len(_read(vb.document(empty, query="q"))[1]) == 0
    monkeypatch.setattr(vb, "CHUNK", 7)  # rows laid out 7 at a time
    n = 50
    t = pa.table({"i": pa.array(range(n)),
                  "s": pa.array([None if i % 5 == 0 else "x" * i for i in range(n)])})
    back = _read(vb.document(t.slice(3), query="q"))[1]  # a slice: offsets not from zero
    _same(t.column("i").slice(3).combine_chunks(), back["i"])
    _same(t.column("s").slice(3).combine_chunks(), back["s"])


def test_unmapped_columns_say_so():
    with pytest.raises(vb.UnsupportedColumnError):
        vb.document(pa.table({"b": pa.array([b"\x00"])}), query="q")


def test_lists_and_structs_are_text():
    t = pa.table({"l": pa.array([["a", "b"], None, []]), "n": pa.array([[[1, 2], [3]]]*3),
                  "s": pa.array([{"k": 1}, None, {"k": None}])})
    vot, back = _read(vb.document(t, query="q"))
    assert [f.datatype for f in vot.get_first_table().fields] == ["char"] * 3
    assert np.ma.getdata(back["l"]).tolist() == ["a,b", "", ""]
    assert np.ma.getdata(back["n"]).tolist() == ["1,2,3"] * 3
    assert np.ma.getdata(back["s"]).tolist() == ['{"k": 1}', "", '{"k": null}']
    with pytest.raises(vb.UnsupportedColumnError):
        vb.document(pa.table({"e": pa.array(["\N{GRINNING FACE}"])}), query="q")


TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=0xFFFF,
                                                           exclude_categories=("Cs",)),
                                    max_size=12))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.floats(allow_nan=False, width=64)),
                          st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
                          st.one_of(st.none(), st.booleans()), TEXT,
                          st.one_of(st.none(), st.text(alphabet="abc XYZ019+-", max_size=30))),
                max_size=40))
def test_random_tables_round_trip(rows):
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    t = pa.table({"f": pa.array(cols[0], pa.float64()), "i": pa.array(cols[1], pa.int64()),
                  "b": pa.array(cols[2], pa.bool_()), "u": pa.array(cols[3], pa.string()),
                  "a": pa.array(cols[4], pa.string())})
    back = _read(vb.document(t, query="q"))[1]
    for name in ("f", "i", "b", "a", "u"):
        _same(t.column(name).combine_chunks(), back[name])
