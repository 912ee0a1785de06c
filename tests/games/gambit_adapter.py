"""Test helper: convert a :mod:`standoff.games._tree` game to a pygambit 16.x game.

Only used by the ``gambit`` cross-check tests; needs ``pygambit`` (``pip install standoff[gambit]``).
"""

from __future__ import annotations

from fractions import Fraction

from standoff.games import _tree


def to_gambit(root: _tree.Node, players: tuple[str, ...] = ("A", "B")):
    """Build the same tree in pygambit; returns ``(game, {infoset_name: gambit infoset})``."""
    import pygambit as gbt

    g = gbt.Game.new_tree(players=list(players), title="standoff cross-check")
    sets = _tree.infosets(root)
    created: dict[str, object] = {}
    # breadth-first so that every member of an information set exists when it is created
    pending: list[tuple[_tree.Node, object]] = [(root, g.root)]
    counter = 0
    while pending:
        nxt: list[tuple[_tree.Node, object]] = []
        # group decision nodes of this layer by information set
        for node, gnode in pending:
            if isinstance(node, _tree.Terminal):
                counter += 1
                out = g.add_outcome(f"{node.label}#{counter}", [float(x) for x in node.payoffs])
                g.set_outcome(gnode, out)
            elif isinstance(node, _tree.Chance):
                g.append_move(gnode, g.players.chance, list(node.labels))
                g.set_chance_probs(
                    gnode.infoset, [Fraction(p).limit_denominator(10**9) for p in node.probs]
                )
                nxt.extend(zip(node.children, list(gnode.children), strict=True))
            else:
                if node.infoset in created:
                    g.append_infoset(gnode, created[node.infoset])
                else:
                    g.append_move(gnode, players[node.player], list(node.actions))
                    created[node.infoset] = gnode.infoset
                nxt.extend(zip(node.children, list(gnode.children), strict=True))
        pending = nxt
    assert set(created) == set(sets)
    return g, created


def behaviour(profile, created: dict[str, object], sets: dict[str, list[_tree.Decision]]):
    """Action probabilities per information set, keyed like :attr:`_tree.Solution.strategy`."""
    out = {}
    for name, infoset in created.items():
        acts = sets[name][0].actions
        out[name] = {a: float(profile[infoset.actions[a]]) for a in acts}
    return out
