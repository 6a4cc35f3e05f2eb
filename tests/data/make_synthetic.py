"""Write the synthetic files of the test corpus (tests/data/corpus/); see tests/data/MANIFEST.csv.

Run from the repository root: ``python tests/data/make_synthetic.py``. Deterministic (fixed
seed), so the files in git are what this script writes. The RDKit files it reuses were
copied unchanged from rdkit/rdkit (commit in the manifest).
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

# Vendor-style SMILES: HCl, maleate, tartrate, mesylate, sodium salts, hydrates, mixtures,
# charged species, isotopes, explicit H, metals, CXSMILES extensions, pseudo-atoms.
VENDOR_SALTS = """\
# vendor catalogue export, salts as sold
Cl.CN(C)CCc1ccccc1 VS-0001 N,N-dimethylphenethylamine HCl
CN(C)CCc1ccccc1.OC(=O)/C=C\\C(=O)O VS-0002 maleate
CN1CCC[C@H]1c1cccnc1.OC(C(O)C(=O)O)C(=O)O VS-0003 nicotine tartrate
CS(=O)(=O)O.Cc1ccc(cc1)S(=O)(=O)N VS-0004 mesylate
[Na+].[O-]C(=O)c1ccccc1O VS-0005 sodium salicylate
O.O.Cl.CCN1C=C(C(=O)O)C(=O)c2cc(F)c(N3CCNCC3)cc21 VS-0006 norfloxacin HCl dihydrate
CC[N+](C)(C)C.[Br-] VS-0007 quaternary ammonium bromide
C[NH+](C)CCc1ccccc1.[Cl-] VS-0008 charged-separated salt
CCN(CC)CCOC(=O)c1ccccc1.c1ccc2ccccc2c1 VS-0009 mixture with naphthalene
[2H]C([2H])([2H])N1CCC[C@H]1c1cccnc1 VS-0010 d3-nicotine
[H]OC(=O)c1ccccc1[H] VS-0011 explicit hydrogens
[13CH3]c1ccccc1 VS-0012 13C toluene
C[n+]1ccccc1.[I-] VS-0013 pyridinium iodide
[O-][N+](=O)c1ccc(cc1)C1CC1 VS-0014 nitro charge-separated
C[C@H](O)CC |&1:1| VS-0015 CXSMILES enhanced stereo
CC* |$;;_R1$| VS-0016 CXSMILES R-group label
*c1ccccc1 VS-0017 pseudo-atom
[1*]C1CC1[2*] VS-0018 attachment points
O=C=[Fe](=C=O)(=C=O)(=C=O)=C=O VS-0019 iron pentacarbonyl
[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1 VS-0020 ferrocene, ionic form
C[Mg]Br VS-0021 Grignard
N[Pt](N)(Cl)Cl VS-0022 cisplatin
[Na+].[Cl-] VS-0023 table salt
C1CC VS-0024 broken ring
C(C)(C)(C)(C)C VS-0025 five-valent carbon
c1cccc1 VS-0026 bad aromaticity
VS-0027 no SMILES, only a name
CCO
CCOC(=O)C1=C(C)NC(C)=C(C1c1cccc(c1)[N+]([O-])=O)C(=O)OC.Cl VS-0029 nitrendipine HCl
"""


def _peptide(n: int, rng: random.Random) -> str:
    side = ["C", "CC(C)C", "Cc1ccccc1", "CO", "CCCCN", "CC(=O)O", "CCSC", "Cc1c[nH]c2ccccc12", "CC(N)=O"]
    return "N" + "".join(f"C({rng.choice(side)})C(=O)N" for _ in range(n - 1)) + "CC(=O)O"


def main() -> None:
    rng = random.Random(10)
    CORPUS.mkdir(exist_ok=True)
    (CORPUS / "vendor_salts.smi").write_text(VENDOR_SALTS)

    nci = (CORPUS / "NCI_aids_few.sdf").read_text()
    records = [r for r in nci.split("$$$$\n") if r.strip()]
    (CORPUS / "crlf.sdf").write_bytes("".join(r + "$$$$\n" for r in records[:8]).replace("\n", "\r\n").encode())
    # molblocks concatenated without $$$$ (``cat *.mol``): 3 records
    blocks = [r[:r.index("M  END") + 7] for r in records[:3]]
    (CORPUS / "concatenated_molblocks.sdf").write_text("".join(blocks))

    # Excel "CSV UTF-8": byte-order mark, CRLF, quoted fields
    (CORPUS / "excel_utf8_bom.csv").write_bytes(
        ("\ufeffSMILES,ID,Supplier\r\nCCO,E-1,\"Acme, Inc.\"\r\nc1ccccc1O,E-2,Caf\u00e9 Chimie\r\n"
         "Cl.NCCc1ccc(O)c(O)c1,E-3,dopamine HCl\r\n").encode("utf-8"))
    # Latin-1 names early and after the first 8 KB
    lines = ["CCN Ma\u00efs-1"] + [f"{'C' * (1 + i % 9)}O filler-{i}" for i in range(900)] + ["CCCN Caf\u00e9-2"]
    (CORPUS / "latin1_names.smi").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    # quoted newlines inside CSV fields (names and notes)
    (CORPUS / "quoted_newlines.csv").write_text(
        'id,smiles,note\n"two\nline id",CCO,"a note\n\nwith a blank line"\nplain,c1ccccc1N,ok\n'
        '"quote "" inside",CC(=O)O,"$$$$\nlooks like an SD terminator"\n')
    # a field longer than the csv module's default limit (131,072), and a 300-residue peptide
    (CORPUS / "long_fields.csv").write_text(
        f"id,smiles,notes\nlong-note,CCOC(=O)c1ccccc1,{'x' * 200_000}\npeptide-300,{_peptide(300, rng)},big\n"
        "after,CCO,small\n")
    # a gzip cut in the middle (a download that stopped)
    whole = (CORPUS / "pubchem-hard-set.sdf.gz").read_bytes()
    (CORPUS / "truncated_download.sdf.gz").write_bytes(whole[:len(whole) // 5])
    # junk: printable garbage (one error row per line) and real binary (refused with one line)
    junk = "".join(rng.choice("abcXYZ()[]=#@+-123 %$\\/") for _ in range(3000))
    (CORPUS / "junk_text.smi").write_text("\n".join(junk[i:i + 60] for i in range(0, 3000, 60)) + "\n")
    (CORPUS / "binary_junk.sdf").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    # SD records that are empty, untitled or missing their final $$$$
    empty = "\n  screenkit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
    (CORPUS / "odd_records.sdf").write_text("$$$$\n" + empty + "$$$$\n" + records[0] + "$$$$\n" + records[1])
    (CORPUS / "vendor_salts.smi.gz").write_bytes(gzip.compress(VENDOR_SALTS.encode(), mtime=0))


if __name__ == "__main__":
    main()
