import gzip

import pytest
from hypothesis import given, settings, strategies as st

from screenkit.errors import InputFileError, UsageError
from screenkit.library import detect_format, iter_records, sd_properties

from conftest import GOOD_MOLBLOCK


def test_sdf_records_keep_titles_and_text(broken_sdf):
    records = list(iter_records(broken_sdf))
    assert [r.position for r in records] == list(range(1, 9))
    assert records[0].name == "aspirin" and records[0].kind == "molblock"
    assert "> <vendor_id>" in records[0].text
    assert records[4].name == ""


def test_gzipped_sdf_and_last_record_without_terminator(tmp_path):
    path = tmp_path / "lib.sdf.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(GOOD_MOLBLOCK + "$$$$\n" + GOOD_MOLBLOCK)
    assert [r.name for r in iter_records(path)] == ["aspirin", "aspirin"]


def test_smiles_file_with_header_names_and_blank_lines(tmp_path):
    path = tmp_path / "lib.smi"
    path.write_text("smiles name\nCCO ethanol\n\nc1ccccc1\nCC(=O)O acetic acid\n")
    records = list(iter_records(path))
    assert [(r.text, r.name) for r in records] == [("CCO", "ethanol"), ("c1ccccc1", ""), ("CC(=O)O", "acetic acid")]


def test_csv_guesses_columns_and_keeps_the_rest(tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text("Compound_ID,SMILES,price\nA1,CCO,3.5\nA2,c1ccccc1,\n")
    records = list(iter_records(path))
    assert [(r.text, r.name) for r in records] == [("CCO", "A1"), ("c1ccccc1", "A2")]
    assert records[0].props == (("price", "3.5"),)


def test_csv_unknown_column_lists_the_real_ones(tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text("id,structure_text\nA1,CCO\n")
    with pytest.raises(UsageError, match="has no column 'smi'.*id, structure_text.*--smiles-col"):
        list(iter_records(path, smiles_col="smi"))
    with pytest.raises(UsageError, match="no SMILES column"):
        list(iter_records(path))


def test_caller_mistakes(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        list(iter_records(tmp_path / "missing.sdf"))
    empty = tmp_path / "empty.sdf"
    empty.write_text("")
    with pytest.raises(InputFileError, match="no records"):
        list(iter_records(empty))
    binary = tmp_path / "picture.sdf"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputFileError, match="binary"):
        list(iter_records(binary))
    with pytest.raises(UsageError, match="--format"):
        detect_format(tmp_path / "library.xlsx")


def test_sd_properties_multiline_and_order():
    text = GOOD_MOLBLOCK + "> <A>\nfirst\n\n>  <B> (1)\nline 1\nline 2\n\n"
    assert sd_properties(text) == [("A", "first"), ("B", "line 1\nline 2")]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["CCO", "c1ccccc1", "C1CC", "xx", "N#N"]),
                          st.text(alphabet="abcXYZ019 -_", max_size=12)), min_size=1, max_size=30))
def test_every_smiles_line_becomes_exactly_one_record(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("hyp") / "lib.smi"
    path.write_text("".join(f"{s} {name}\n" for s, name in entries))
    records = list(iter_records(path))
    assert len(records) == len(entries)
    assert [r.name for r in records] == [name.strip() for _, name in entries]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abc $", max_size=6), st.sampled_from(["\n", "\r\n"]),
                          st.sampled_from(["$$$$", "$$$$ trailing", "$$$ not one", "x$$$$"])), max_size=8),
       st.integers(min_value=1, max_value=9))
def test_sdf_splitting_does_not_depend_on_where_reading_blocks_end(entries, block_chars):
    """Records end at lines starting with $$$$, however the file is cut into read blocks."""
    import io
    from pathlib import Path

    from screenkit.library import _sdf_records

    text = "".join(f"{title}{eol}M  END{eol}{terminator}{eol}" for title, eol, terminator in entries)
    expected, body = [], []
    for line in io.StringIO(text, newline=""):  # the definition, one line at a time
        if line.startswith("$$$$"):
            expected.append("".join(body))
            body = []
        else:
            body.append(line)
    if "".join(body).strip():
        expected.append("".join(body))
    records = list(_sdf_records(io.StringIO(text, newline=""), Path("lib.sdf"), block_chars=block_chars))
    assert [r.text for r in records] == expected
    assert [r.position for r in records] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("columns", [["rank", "id"], ["rank", "id", "score", "note"]])
def test_ranked_csv_text_is_what_csv_dictwriter_writes(columns):
    import csv
    import io

    from screenkit.library import RankedRowFormat

    rows = [{"id": 'a,"b"', "score": 0.123456, "note": "two\nlines"}, {"id": "", "score": float("nan")},
            {"id": "x", "score": 123456.0, "note": None}, {}]
    row_format = RankedRowFormat(columns, "csv")
    expected = io.StringIO()
    writer = csv.DictWriter(expected, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    text = row_format.header()
    for rank, row in enumerate(rows, start=1):
        shown = {k: "" if v is None or v != v else f"{v:.4g}" if isinstance(v, float) and abs(v) >= 1e4
                 else f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()}
        writer.writerow({"rank": rank, **shown})
        before, after = row_format.parts(row)
        text += f"{before}{rank}{after}"
    assert text == expected.getvalue()
    assert list(csv.DictReader(io.StringIO(text)))[0]["id"] == 'a,"b"'


def test_sdf_with_old_mac_line_endings_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "mac.sdf"
    path.write_bytes((GOOD_MOLBLOCK + "$$$$\n").replace("\n", "\r").encode() * 3)
    with pytest.raises(InputFileError, match="CR only"):
        list(iter_records(path))
