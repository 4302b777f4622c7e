"""Hypothesis profiles for every test environment (registered by
tests/conftest.py, chosen with the environment variable HYPOTHESIS_PROFILE).

* ``ci`` (default): derandomized, so every run of a clone draws the same
  examples, and no example database, so a rerun after a failure does not
  replay what a previous run stored in ``.hypothesis/``.
* ``soak``: random examples, :data:`SOAK_FACTOR` times as many, no database;
  run it before resolving changes to the arithmetic (docs/testing.md).

Property tests take their example count from :func:`examples`, never set
``derandomize`` or ``database`` themselves: the profile decides.
"""
import os

from hypothesis import settings

#: How many times more examples a soak run draws than CI.
SOAK_FACTOR = 10

settings.register_profile("ci", derandomize=True, database=None,
                          deadline=None, print_blob=True)
settings.register_profile("soak", derandomize=False, database=None,
                          deadline=None, print_blob=True)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or "ci"
settings.load_profile(PROFILE)


def examples(n):
    """The example count for a property test that draws ``n`` in CI."""
    return n * SOAK_FACTOR if PROFILE == "soak" else n
