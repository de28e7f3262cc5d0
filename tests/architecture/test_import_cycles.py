"""No import cycles between anpr's modules: each arrow points one way, so any module can be read, tested and
replaced from the bottom up. Imports inside functions count (they are dependencies too); imports under
`if TYPE_CHECKING:` do not (they never run)."""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One shortest cycle per set of modules: a -> b -> ... -> a."""
    found: dict[frozenset[str], list[str]] = {}
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                cycle = [module, *back]
                found.setdefault(frozenset(cycle), cycle)
    return list(found.values())


def test_no_import_cycles_between_modules() -> None:
    graph = grimp.build_graph("anpr", exclude_type_checking_imports=True, cache_dir=None)
    assert len(graph.modules) > 100  # the whole package was seen
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for a, b in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c", "p.a"]]
