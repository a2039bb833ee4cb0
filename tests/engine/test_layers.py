"""The layers only point down: commands -> runtime/cloud -> plan -> sources/executors -> engine -> host.

Every `import fwkit...` (also inside functions) is read from the source with `ast`; a module may
import its own layer or any below it. The engine in particular never imports where text comes
from (`fwkit.sources`, anything Hub-specific) or host facts (`fwkit.host`).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cli" / "fwkit"

# Lowest first. Modules not listed are shared utilities (errors, sizes, atomic, encoding), below all.
LAYERS: list[tuple[str, ...]] = [
    ("fwkit.host",),
    ("fwkit.engine",),
    ("fwkit.sources", "fwkit.executors"),
    # cloud.sizing/paths: the instance table the plan sizes a cloud job from (pure data, no AWS call);
    # swap.recommended_swap_bytes: the same for a swap file. Both live beside the code they serve.
    (
        "fwkit.plan",
        "fwkit.estimate",
        "fwkit.runner",
        "fwkit.options",
        "fwkit.verify",
        "fwkit.cloud.sizing",
        "fwkit.cloud.paths",
        "fwkit.swap",
    ),
    ("fwkit.runtime", "fwkit.cloud"),
    ("fwkit.commands",),
    ("fwkit.cli", "fwkit.__main__"),
]


def layer_of(module: str) -> int:
    """The layer index of a dotted module name (the longest matching prefix); -1 for the utilities."""
    best, found = -1, ""
    for index, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(found):
                best, found = index, p
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def fwkit_imports(path: Path) -> list[str]:
    """Every fwkit module `path` imports, at the top or inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fwkit"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.startswith("fwkit"))
    return found


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_classifier_knows_the_layers() -> None:
    assert layer_of("fwkit.engine.pipeline") < layer_of("fwkit.sources.hub") < layer_of("fwkit.runner")
    assert layer_of("fwkit.errors") == -1
    assert len(all_modules()) > 40


def test_no_module_imports_from_a_layer_above_it() -> None:
    upward = []
    for path in all_modules():
        name = module_name(path)
        for imported in fwkit_imports(path):
            if layer_of(imported) > layer_of(name):
                upward.append(f"{name} imports {imported}")
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_the_engine_knows_no_source_host_or_hub() -> None:
    for path in sorted((PACKAGE / "engine").rglob("*.py")):
        for imported in fwkit_imports(path):
            assert not imported.startswith(("fwkit.sources", "fwkit.host", "fwkit.executors")), (path, imported)
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        assert "datasets" not in fwkit_imports(path) and "HubSpec" not in code and "settings.hub" not in code, path
