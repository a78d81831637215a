"""The doors between kofu's parties, checked on the AST of every module (architecture.md).

The parties (kiosk, center, municipal, jpki, verify, office) reach one another only through `kofu.wire`
and the shared libraries; a shared library imports no party; `kofu.documents` reads neither the registry
nor a database; only the municipal server reads a municipal registry; the top-level packages form no
cycle; no product package imports the harness (demo, chaos); the kiosk does not load the card simulator;
`bench/` imports nothing from `tests/`.

Every import counts, at module level, inside a function, or under TYPE_CHECKING: each is a door.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import kofu

SRC = Path(kofu.__file__).parent
ROOT = SRC.parents[1]
BENCH = ROOT / "bench"
TESTS = ROOT / "tests"

PARTIES = frozenset({"kiosk", "center", "municipal", "jpki", "verify", "office"})
HARNESS = frozenset({"demo", "chaos"})
# Composition roots: they wire every party into one command line or one server process.
ROOTS = frozenset({"cli", "__main__", "serve", "documents_cli"})
# The card simulator: the card itself, its storage and its transports into a reader.
CARD_SIMULATOR = (
    "kofu.card.applet",
    "kofu.card.virtual",
    "kofu.card.cardfile",
    "kofu.card.inprocess",
    "kofu.card.phone",
    "kofu.card.biometric",
    "kofu.card.vpcd",
)

# Doors known and not yet closed: (importing module, imported module) → why it stays open.
_VERIFY_REGISTER = "the center records each delivered document in the verification register in-process"
_OFFICE_IN_JPKI = "the office's PIN reset runs in the JPKI's process, on its database (kofu jpki reset-pin)"
_CENTER_READS_REGISTRY = "DAY-1 card records read from a municipal registry when card_records_url is set"
_JPKI_READS_REGISTRY = "a card issued to a registry person takes the holder from the registry and links it"
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("kofu.center.app.factory", "kofu.verify.register"): _VERIFY_REGISTER,
    ("kofu.center.cli", "kofu.verify.register"): _VERIFY_REGISTER + " (recover revokes voided documents)",
    ("kofu.jpki.cli", "kofu.office.cards"): _OFFICE_IN_JPKI,
    ("kofu.jpki.cli", "kofu.office.pin_reset"): _OFFICE_IN_JPKI,
    ("kofu.jpki.cli", "kofu.office.schema"): _OFFICE_IN_JPKI,
    ("kofu.jpki.cli", "kofu.office.staff"): _OFFICE_IN_JPKI + " (and kofu jpki staff-add)",
    ("kofu.office.cards", "kofu.jpki.store"): "the office's card directory reads the JPKI's card register",
    ("kofu.audit.cli", "kofu.center.reconcile"): "kofu audit reconcile compares the center's charged orders",
    ("kofu.center.auth.cards", "kofu.registry.cards"): _CENTER_READS_REGISTRY,
    ("kofu.jpki.holders", "kofu.registry.cards"): _JPKI_READS_REGISTRY,
    ("kofu.jpki.holders", "kofu.registry.holders"): _JPKI_READS_REGISTRY,
}


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted(src.rglob("*.py"))}


def imports_of(path: Path, name: str, known: Iterable[str]) -> set[str]:
    """The kofu modules `path` (module `name`) imports, relative imports resolved, submodules named."""
    modules = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from kofu.x import y` where y is a module imports kofu.x.y; else a name of kofu.x
            submodules = {f"{target}.{a.name}" for a in node.names} & modules
            found.update(submodules if len(submodules) == len(node.names) else {target, *submodules})
    return {m for m in found if m == "kofu" or m.startswith("kofu.")}


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Every kofu module → the kofu modules it imports."""
    modules = all_modules(src)
    return {name: imports_of(path, name, modules) for name, path in modules.items()}


def top(module: str) -> str:
    """The top-level package (or module) of kofu that `module` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def crossings(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((src, dst) for src, dsts in graph.items() for dst in dsts if top(src) != top(dst))


GRAPH = import_graph()
CROSSINGS = crossings(GRAPH)


def known(src: str, dst: str) -> bool:
    return (src, dst) in KNOWN_EXCEPTIONS


def party_violations(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """A party importing another party (not through wire or a shared library)."""
    return [f"{s} -> {d}" for s, d in pairs if top(s) in PARTIES and top(d) in PARTIES and not known(s, d)]


def shared_violations(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """A shared library importing a party: the party's door would be open to every other party."""
    outside = PARTIES | HARNESS | ROOTS
    return [
        f"{s} -> {d}" for s, d in pairs if top(s) not in outside and top(d) in PARTIES and not known(s, d)
    ]


def harness_violations(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """A product package importing the harness."""
    return [f"{s} -> {d}" for s, d in pairs if top(s) not in HARNESS | ROOTS and top(d) in HARNESS]


def documents_violations(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """kofu.documents reading the registry or a database."""
    return [f"{s} -> {d}" for s, d in pairs if top(s) == "documents" and top(d) in {"registry", "db"}]


def registry_violations(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Another party than the municipal server reading a municipal registry database."""
    allowed = {"municipal", "registry"} | HARNESS | ROOTS
    return [
        f"{s} -> {d}" for s, d in pairs if top(d) == "registry" and top(s) not in allowed and not known(s, d)
    ]


def package_cycles(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The cycles between top-level packages: strongly connected components of more than one (Tarjan)."""
    edges: dict[str, set[str]] = {}
    for s, d in pairs:
        edges.setdefault(top(s), set()).add(top(d))
        edges.setdefault(top(d), set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def cycle_edges(pairs: list[tuple[str, str]]) -> list[str]:
    """The imports that hold each cycle together, to say where to cut."""
    cycles = package_cycles(pairs)
    return [
        f"{s} -> {d}"
        for s, d in pairs
        if any(top(s) in c and top(d) in c for c in cycles) and not known(s, d)
    ]


def test_parties_meet_only_through_wire_and_shared_libraries() -> None:
    assert party_violations(CROSSINGS) == []


def test_shared_libraries_import_no_party() -> None:
    assert shared_violations(CROSSINGS) == []


def test_no_product_package_imports_the_harness() -> None:
    assert harness_violations(CROSSINGS) == []


def test_documents_import_neither_registry_nor_db() -> None:
    assert documents_violations(CROSSINGS) == []


def test_only_the_municipal_server_reads_its_registry() -> None:
    assert registry_violations(CROSSINGS) == []


def test_no_cycle_between_top_level_packages() -> None:
    live = [(s, d) for s, d in CROSSINGS if not known(s, d)]
    assert package_cycles(live) == [], cycle_edges(live)


def test_every_known_exception_is_still_needed() -> None:
    used = set(CROSSINGS)
    assert sorted(set(KNOWN_EXCEPTIONS) - used) == []


def test_the_scan_finds_a_synthetic_cycle_and_party_door(tmp_path: Path) -> None:
    src = tmp_path / "kofu"
    for name, text in {
        "__init__.py": "",
        "kiosk/__init__.py": "",
        "kiosk/app.py": "from kofu.center import auth\nfrom . import view\n",
        "kiosk/view.py": "def f():\n    from kofu.demo.world import w\n",
        "center/__init__.py": "",
        "center/auth.py": "from ..audit import log\n",
        "audit/__init__.py": "",
        "audit/log.py": "import kofu.center.auth\n",
        "demo/__init__.py": "",
        "demo/world.py": "w = 1\n",
        "documents/compose.py": "from kofu.registry.records import R\nfrom kofu import db\n",
        "registry/records.py": "",
        "db.py": "",
    }.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text, encoding="utf-8")
    pairs = crossings(import_graph(src))
    assert party_violations(pairs) == ["kofu.kiosk.app -> kofu.center.auth"]
    assert shared_violations(pairs) == ["kofu.audit.log -> kofu.center.auth"]
    assert harness_violations(pairs) == ["kofu.kiosk.view -> kofu.demo.world"]
    assert documents_violations(pairs) == [
        "kofu.documents.compose -> kofu.db",
        "kofu.documents.compose -> kofu.registry.records",
    ]
    assert registry_violations(pairs) == ["kofu.documents.compose -> kofu.registry.records"]
    assert package_cycles(pairs) == [["audit", "center"]]
    assert cycle_edges(pairs) == ["kofu.audit.log -> kofu.center.auth", "kofu.center.auth -> kofu.audit.log"]


def test_the_scan_finds_a_three_package_cycle_and_not_a_chain() -> None:
    chain = [("kofu.a.x", "kofu.b.x"), ("kofu.b.x", "kofu.c.x")]
    assert package_cycles(chain) == []
    assert package_cycles([*chain, ("kofu.c.y", "kofu.a.y")]) == [["a", "b", "c"]]


def bench_imports_of_tests(paths: Iterable[Path], tests: Path = TESTS) -> list[str]:
    """Imports in bench files of a module that lives under tests/, or a path into tests/ on sys.path."""
    test_names = {p.stem for p in tests.rglob("*.py")} | {"tests"}
    found = []
    for path in paths:
        local = {p.stem for p in path.parent.glob("*.py")}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and node.value == "tests":
                found.append(f"{path.name}:{node.lineno} names the tests folder")
            for name in names:
                first = name.split(".")[0]
                if first in test_names and first not in local:
                    found.append(f"{path.name}:{node.lineno} imports {name}")
    return sorted(found, key=lambda line: (line.split(":")[0], int(line.split(":")[1].split()[0])))


def test_bench_imports_nothing_from_tests() -> None:
    assert bench_imports_of_tests(sorted(BENCH.glob("*.py"))) == []


def test_the_bench_scan_finds_a_test_module(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "production").mkdir(parents=True)
    (tests / "production" / "deploy_kit.py").write_text("", encoding="utf-8")
    (tests / "documents").mkdir()
    (tests / "documents" / "test_x.py").write_text("", encoding="utf-8")
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "documents.py").write_text("", encoding="utf-8")
    sample = bench / "run.py"
    sample.write_text(
        "import sys\nsys.path.append(str(ROOT / 'tests'))\n"
        "from deploy_kit import up\nfrom documents import d\n",
        encoding="utf-8",
    )
    assert bench_imports_of_tests([sample], tests) == [
        "run.py:2 names the tests folder",
        "run.py:3 imports deploy_kit",
    ]


def loaded_by(modules: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    """Which modules starting with one of `prefixes` importing `modules` loads, in a fresh interpreter."""
    script = (
        "import importlib, sys\n"
        f"for name in {sorted(modules)!r}: importlib.import_module(name)\n"
        f"prefixes = {tuple(prefixes)!r}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(prefixes))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_the_kiosk_does_not_load_the_card_simulator_or_the_center() -> None:
    kiosk = [m for m in GRAPH if top(m) == "kiosk"]
    assert loaded_by(kiosk, (*CARD_SIMULATOR, "kofu.center", "sqlalchemy")) == []


def test_the_loader_check_sees_the_simulator() -> None:
    assert "kofu.card.applet" in loaded_by(["kofu.card.virtual"], CARD_SIMULATOR)
