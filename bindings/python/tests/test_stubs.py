"""The type stubs name exactly what the extension has, and ship with it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import assay
import assay._assay as ext

STUB = Path(assay.__file__).with_name("_assay.pyi")


def stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text())


def public(names: object) -> set[str]:
    return {n for n in names if not n.startswith("_") or n in ("__version__", "__bool__")}  # type: ignore[attr-defined]


def test_stubs_and_marker_are_installed() -> None:
    assert STUB.exists() and STUB.with_name("py.typed").exists()


def test_module_level_names_match() -> None:
    tree = stub_tree()
    stubbed = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            stubbed.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            stubbed.add(node.target.id)
    runtime = {n for n in dir(ext) if not n.startswith("_") or n == "__version__"}
    assert public(stubbed) == runtime


def test_class_members_match() -> None:
    for node in stub_tree().body:
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(ext, node.name)
        stubbed = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
        runtime = {n for n, _ in inspect.getmembers(cls) if not n.startswith("_")}
        if "__bool__" in stubbed:
            assert hasattr(cls, "__bool__")
        assert {n for n in stubbed if not n.startswith("_")} == runtime, node.name


def test_everything_exported_is_importable() -> None:
    for name in assay.__all__:
        assert hasattr(assay, name), name
    assert issubclass(assay.PolicyError, assay.AssayError)
    assert issubclass(assay.InputError, assay.AssayError)
    assert issubclass(assay.ValidationError, assay.AssayError)


def stub_params(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args]
    if a.vararg:
        names.append("*" + a.vararg.arg)
    names += [x.arg for x in a.kwonlyargs]
    return [n for n in names if n not in ("self", "cls")]


def runtime_params(obj: object) -> list[str]:
    out = []
    for p in inspect.signature(obj).parameters.values():  # type: ignore[arg-type]
        if p.name in ("self", "cls", "$self", "$cls"):
            continue
        out.append(("*" + p.name) if p.kind is p.VAR_POSITIONAL else p.name)
    return out


def test_signatures_match() -> None:
    checked = 0
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            assert stub_params(node) == runtime_params(getattr(ext, node.name)), node.name
            checked += 1
        if isinstance(node, ast.ClassDef):
            cls = getattr(ext, node.name)
            for fn in node.body:
                is_property = isinstance(fn, ast.FunctionDef) and any(
                    isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list)
                if isinstance(fn, ast.FunctionDef) and not is_property and not fn.name.startswith("_"):
                    assert stub_params(fn) == runtime_params(getattr(cls, fn.name)), f"{node.name}.{fn.name}"
                    checked += 1
    assert checked >= 15
