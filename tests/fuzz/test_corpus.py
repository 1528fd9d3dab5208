"""The regression corpus (tests/fuzz/corpus/cases.yaml): every hostile input found so far, replayed
through the CLI's entry point with the exit code and message it must give."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hostile import assert_kept, run
from terraform_tree import copy_terraform  # tests/terraform_tree.py

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())["cases"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(case, tmp_path):
    tree = tmp_path / "repo" / "terraform"
    copy_terraform(tree)
    (tmp_path / "repo" / ".git").mkdir()
    work = tmp_path / "work"
    work.mkdir()

    def place(text: str) -> str:
        return text.replace("{tree}", str(tree)).replace("{work}", str(work))

    for directory in case.get("dirs", []):
        Path(place(directory)).mkdir(parents=True)
    for directory in case.get("empty", []):
        for path in Path(place(directory)).glob("*.tf"):
            path.unlink()
    for path, target in case.get("links", {}).items():
        Path(place(path)).symlink_to(target)
    for path, name in case.get("copy", {}).items():
        shutil.copyfile(CORPUS / "files" / name, place(path))
    for path, text in case.get("files", {}).items():
        Path(place(path)).write_text(text)
    for path, text in case.get("append", {}).items():
        with open(place(path), "a") as stream:
            stream.write(text)

    outcome = assert_kept(run(*[place(arg) for arg in case["command"]]))
    assert outcome.code == case["expect"], outcome
    assert case["needle"] in (outcome.err if outcome.code == 2 else outcome.out), outcome


def test_every_corpus_file_is_used():
    used = {name for case in CASES for name in case.get("copy", {}).values()}
    assert used == {p.name for p in (CORPUS / "files").iterdir()}
