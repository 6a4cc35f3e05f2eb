import csv
import gzip

import pytest
from conftest import GOOD_MOLBLOCK
from hypothesis import given, settings
from hypothesis import strategies as st

from screenkit.errors import InputFileError, UsageError
from screenkit.screen.readers import iter_records
from screenkit.screen.records import detect_format
from screenkit.screen.sdf import sd_properties


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

    from screenkit.screen.sdf import sdf_records

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
    records = list(sdf_records(io.StringIO(text, newline=""), Path("lib.sdf"), block_chars=block_chars))
    assert [r.text for r in records] == expected
    assert [r.position for r in records] == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("columns", [["rank", "id"], ["rank", "id", "score", "note"]])
def test_ranked_csv_text_is_what_csv_dictwriter_writes(columns):
    import csv
    import io

    from screenkit.screen.writers import RankedRowFormat

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


# -- files that used to stop a whole run -------------------------------------------------------
def _smiles_gz(path, n):
    data = gzip.compress("".join(f"{'C' * (1 + i % 7)}O mol{i}\n" for i in range(n)).encode())
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("cut", [0.5, 0.9, -4])
def test_truncated_gzip_gives_the_records_before_the_damage_and_one_error(tmp_path, cut):
    path = tmp_path / "lib.smi.gz"
    data = _smiles_gz(path, 20000)
    path.write_bytes(data[:int(len(data) * cut)] if cut > 0 else data[:cut])
    records = list(iter_records(path))
    assert [r.position for r in records] == list(range(1, len(records) + 1))
    assert all(r.kind == "smiles" for r in records[:-1])
    assert records[-1].kind == "damaged" and "damaged" in records[-1].text
    assert list(iter_records(path)) == records  # a resumed run reads exactly the same records


def test_corrupt_gzip_middle_is_reported_not_raised(tmp_path):
    path = tmp_path / "lib.smi.gz"
    data = bytearray(_smiles_gz(path, 20000))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    records = list(iter_records(path))
    assert records[-1].kind == "damaged" and len(records) > 1


def test_csv_field_longer_than_the_csv_module_default(tmp_path):
    peptide = "N" + "CC(=O)N" * 30000 + "CC(=O)O"
    path = tmp_path / "big.csv"
    path.write_text(f"id,smiles\nbig,{peptide}\nsmall,CCO\n")
    records = list(iter_records(path))
    assert [(r.name, len(r.text)) for r in records] == [("big", len(peptide)), ("small", 3)]
    assert csv.field_size_limit() == 131072  # the process-wide limit is put back


def test_csv_with_a_nul_byte_deep_inside_is_one_unparsable_record(tmp_path):
    from screenkit.chem.standardize import mol_from_text

    path = tmp_path / "nul.csv"
    path.write_bytes(b"id,smiles\n" + b"".join(b"m%d,CCO\n" % i for i in range(2000)) + b"x,C\x00CCl\n")
    records = list(iter_records(path))
    assert len(records) == 2001 and records[-1].text == "C\x00CCl"
    assert mol_from_text(records[-1].text, "smiles")[0] is None  # never silently read as "C"


def test_sd_record_over_10_mb_ending_in_dollars_is_one_error_row(tmp_path):
    path = tmp_path / "huge.sdf"
    huge = "huge\n\n\n" + "x" * 11_000_000 + "\nM  END\n$$$$\n"
    path.write_text(GOOD_MOLBLOCK + "$$$$\n" + huge + GOOD_MOLBLOCK.replace("aspirin", "after") + "$$$$\n")
    records = list(iter_records(path))
    assert [(r.position, r.kind, r.name) for r in records] == [(1, "molblock", "aspirin"), (2, "damaged", ""),
                                                                (3, "molblock", "after")]
    assert "10 MB" in records[1].text


def test_utf8_bom_before_a_csv_header(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffSMILES,ID\nCCO,e1\n".encode("utf-8"))
    assert [(r.text, r.name) for r in iter_records(path)] == [("CCO", "e1")]


@pytest.mark.parametrize("filler", [0, 20000])
def test_latin1_bytes_read_the_same_wherever_they_are(tmp_path, filler):
    path = tmp_path / "vendor.smi"
    path.write_bytes(b"".join(b"CCO f%d\n" % i for i in range(filler)) + "CCN Ma\u00efs-caf\u00e9\n".encode("latin-1"))
    records = list(iter_records(path))
    assert len(records) == filler + 1 and records[-1].name == "Ma\u00efs-caf\u00e9"


def test_molblocks_without_dollars_between_them_are_all_read(tmp_path):
    second = GOOD_MOLBLOCK.replace("aspirin", "second")
    path = tmp_path / "cat.sdf"
    path.write_text(GOOD_MOLBLOCK + "> <id>\nA\n\n" + second + GOOD_MOLBLOCK.replace("aspirin", "third") + "$$$$\n"
                    + GOOD_MOLBLOCK.replace("aspirin", "fourth"))
    records = list(iter_records(path))
    assert [(r.position, r.name) for r in records] == [(1, "aspirin"), (2, "second"), (3, "third"), (4, "fourth")]
    assert sd_properties(records[0].text) == [("id", "A")]


def test_cxsmiles_extension_stays_with_the_smiles(tmp_path):
    path = tmp_path / "cx.smi"
    path.write_text("C[C@H](O)CC |&1:1| racemic one\nCCO\n")
    records = list(iter_records(path))
    assert [(r.text, r.name) for r in records] == [("C[C@H](O)CC |&1:1|", "racemic one"), ("CCO", "")]
