"""Progress lines: train per step and fold, fetch per target and page; shown with -v, quiet in pipes."""

from __future__ import annotations

import io
import math
import re

import pytest
from chembl_fixture import FakeChemblApi, build_fixture

from screenkit.cli import main
from screenkit.progress import StepLog


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_a_step_shows_when_it_starts_and_its_time_when_it_ends():
    out = Terminal()
    steps = StepLog(enabled=True, stream=out)
    steps.start("fingerprinting the putative-inactive pool")
    assert out.getvalue() == "fingerprinting the putative-inactive pool ..."  # before the slow work, not after
    steps.start("JAK1_Ki (1/2): cross-validation fold 1/5")
    steps.end()
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"fingerprinting the putative-inactive pool \.\.\. \d+ s", lines[0])
    assert re.fullmatch(r"JAK1_Ki \(1/2\): cross-validation fold 1/5 \.\.\. \d+ s", lines[1])
    quiet = Terminal()
    StepLog(enabled=False, stream=quiet).start("x")
    assert quiet.getvalue() == ""


def train_args(small_dataset, small_pool, out):
    return ["train", str(small_dataset), "-o", str(out), "--pool", str(small_pool), "--targets", "JAK1",
            "--n-estimators", "10", "--n-folds", "3", "--min-compounds", "20", "--y-randomisation", "2"]


def test_train_prints_steps_per_fold_with_verbose_and_nothing_in_a_pipe(small_dataset, small_pool, tmp_path, capsys):
    assert main(["-v"] + train_args(small_dataset, small_pool, tmp_path / "v")) == 0
    err = capsys.readouterr().err
    steps = [line for line in err.splitlines() if re.search(r" \.\.\. \d+ s$", line)]
    expected = ["reading small.csv", "fingerprinting the putative-inactive pool",
                "JAK1_Ki (1/1): 250 rows: cluster folds and putative inactives"] + \
               [f"JAK1_Ki (1/1): cross-validation fold {k}/3" for k in (1, 2, 3)] + \
               [f"JAK1_Ki (1/1): y-randomisation permutation {k}/2 (3 folds)" for k in (1, 2)] + \
               ["JAK1_Ki (1/1): final fit on"]
    texts = [line.rsplit(" ... ", 1)[0] for line in steps]
    positions = [next(i for i, t in enumerate(texts) if t.startswith(e)) for e in expected]
    assert positions == sorted(positions), texts  # every step, in order

    assert main(train_args(small_dataset, small_pool, tmp_path / "quiet")) == 0
    captured = capsys.readouterr()
    assert "fold" not in captured.err and " ... " not in captured.err  # stderr is not a terminal here
    assert "JAK1_Ki: 250 measured" in captured.out  # the per-model summary stays on stdout


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    path = tmp_path_factory.mktemp("chembl") / "chembl_fixture.db"
    build_fixture(f"sqlite:///{path}")
    with FakeChemblApi(str(path), hang_seconds=1.0) as server:
        yield server


def test_fetch_prints_each_target_and_page_with_the_servers_totals(api, tmp_path, capsys):
    args = ["fetch", "--targets", "CHEMBL237,CHEMBL216", "--api-url", api.url, "--page-size", "7",
            "--timeout", "2", "--backoff", "0.01"]
    assert main(["-v"] + args + ["-o", str(tmp_path / "v.csv")]) == 0
    err = capsys.readouterr().err
    pages = re.findall(r"^(\w+) (CHEMBL\d+) \((\d)/2\): activity page (\d+)/(\d+), records (\d+)-(\d+) of (\d+)$",
                       err, re.MULTILINE)
    whole = re.findall(r"^(\w+) (CHEMBL\d+) \((\d)/2\): activity: all (\d+) records$", err, re.MULTILINE)
    assert {p[:3] for p in pages} == {("OPRK1", "CHEMBL237", "1")}  # 44 records: 7 pages of 7
    assert whole == [("CHRM1", "CHEMBL216", "2", "7")]  # 7 records: one page holds them all
    mine = [tuple(map(int, p[3:])) for p in pages]
    total = mine[0][-1]
    assert len(mine) == math.ceil(total / 7) == mine[0][1]  # one line per page, "page k/N" with N from the total
    assert [m[0] for m in mine] == list(range(1, len(mine) + 1))
    assert mine[-1][3] == total and sum(m[3] - m[2] + 1 for m in mine) == total  # the pages cover the total
    served = [r for r in api.requests if "/activity.json" in r]
    assert len(served) == len(pages) + len(whole)

    assert main(args + ["-o", str(tmp_path / "quiet.csv")]) == 0
    assert " page " not in capsys.readouterr().err
