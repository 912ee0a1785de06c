"""Crisis games: small game-theoretic models of negotiate-or-fight, pressure and reassurance.

One module per model, each a set of pure, typed functions that return probabilities and the
quantities an analyst reads (sources and equations in the docstrings; the project's own
parameterisations are marked **[project formalisation]**, see crisis-games.md section 7):

* :mod:`~standoff.games.iig` -- International Interaction Game (Bueno de Mesquita & Lalman 1992)
* :mod:`~standoff.games.fearon` -- bargaining range, risk-return, commitment problems (Fearon 1995,
  Powell 2006), buy-off with verification (Spaniel 2019)
* :mod:`~standoff.games.kydd` -- trust, reassurance and spirals (Kydd 2000, 2005)
* :mod:`~standoff.games.sanctions` -- threat/imposition game with TIES codes, Drezner's paradox,
  third-party leakage
* :mod:`~standoff.games.brinkmanship` -- Schelling's compellence threshold, Powell's escalation ladder
* :mod:`~standoff.games.richardson` -- Richardson arms race (continuous and monthly, least squares)

Invalid parameters raise :class:`standoff.errors.UsageError` naming the parameter and the
expected range.
"""
