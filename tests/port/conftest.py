"""The port environment: the legacy stack and torch==2.13.0 in one venv.

compat.enable() must run before the first theano import, so it runs here,
before any test module is collected.
"""
from nolearn_capacity import compat

compat.enable()
