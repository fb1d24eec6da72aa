"""The layout's rules hold: the apps depend one way, their rooms do not lean on each other,
and parcels know nothing of rights.

`make lint` runs the import contracts (pyproject.toml, `lint-imports`); these tests show
that they are kept and that each catches an import against it.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("landinfo", "parcels", "transactions", "fixtures")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run the project's contracts on the packages under `tree`."""
    return subprocess.run(  # noqa: S603 - our own linter on our own copy
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_apps(destination: Path) -> None:
    for app in APPS:
        shutil.copytree(ROOT / app, destination / app, ignore=shutil.ignore_patterns("*.pyc"))


def test_the_apps_depend_one_way(tmp_path):
    _copy_apps(tmp_path)
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("parcels/models.py", "from transactions.models import Right"),
        ("parcels/publishing/tiles.py", "import transactions.selectors"),
        ("landinfo/profiles/base.py", "from parcels import selectors"),
        ("transactions/journal/append.py", "from transactions.deeds import services"),
        ("parcels/importing/run.py", "from parcels.publishing import layers"),
    ],
)
def test_an_import_against_the_direction_breaks_the_contract(tmp_path, module, line):
    _copy_apps(tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text() + f"\n{line}  # against the direction\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_no_sql_of_parcels_names_a_table_of_transactions():
    # The import contract sees imports, not SQL text: a join on the journal's tables
    # written in parcels would couple them as much as an import.
    table = re.compile(r"\btransactions_[a-z]+\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {text.strip()}"
        for path in sorted((ROOT / "parcels").rglob("*.py"))
        if "migrations" not in path.parts
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if table.search(text)
    ]
    assert offenders == []
