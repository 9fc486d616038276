"""Hypothesis profiles for the tests of the master solutions.

``make test`` gates every change, so by default the examples are the same on every run
(``derandomize``) and there is no per-example deadline (these tests assert values, not
speed; a loaded machine must not fail them).  ``HYPOTHESIS_PROFILE=explore`` draws new
examples every run (1000 where a test does not set its own number) to look for inputs
the fixed ones miss.
"""
import os

from hypothesis import settings

settings.register_profile("gate", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, print_blob=True, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))
