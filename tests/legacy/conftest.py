"""The legacy environment: Theano 1.0.5, Lasagne 0.1, nolearn 0.6.1.

compat.enable() must run before the first theano import, so it runs here,
before any test module is collected.
"""
from nolearn_capacity import compat

compat.enable()
