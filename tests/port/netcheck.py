"""Theano's deterministic output of real Lasagne layers vs their port."""
from nolearn_capacity.port import check, to_torch


def assert_port_matches(outputs, seed=0):
    """Port the graph feeding ``outputs`` (random parameters), run both on
    the same random batch, assert every output is within the tolerance;
    return the port."""
    port = to_torch(outputs)
    text, passed = check.run_check(outputs, port, weights_given=False,
                                   seed=seed)
    assert passed, port.source + "\n" + text
    return port
