"""List the application's functions longer than N lines (default 60), longest first.

    python3 scripts/long_functions.py [N]

A function's length is from its `def` line to its last line, docstring included, nested
functions counted in it too; decorators and migrations are left out. STYLE.md asks for
short functions: a long one is a list of steps that want names.
"""

import ast
import sys
from pathlib import Path

APPS = ("landinfo", "parcels", "transactions", "fixtures")
ROOT = Path(__file__).resolve().parent.parent


def long_functions(limit: int) -> list[tuple[int, str]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > limit:
                        found.append((length, f"{path.relative_to(ROOT)}:{node.name}"))
    return sorted(found, reverse=True)


if __name__ == "__main__":
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    functions = long_functions(limit)
    for length, name in functions:
        print(f"{length:4d} {name}")
    print(f"{len(functions)} functions over {limit} lines")
