"""What the example scripts share: the command line and synthetic data.

Imported only when a script runs as ``__main__`` (``nolearn-capacity
script.py:net`` loads the scripts without running their main block, and
without this directory on ``sys.path``).
"""
import argparse

import numpy as np


def command_line(doc, net):
    """Parse ``--ours``; with it, ``net`` prints its layer table with
    nolearn_capacity's PrintLayerInfo instead of nolearn's.

    ``NeuralNet.__init__`` has already put nolearn's handler into
    ``net.on_training_started``, so it is swapped there too.
    """
    parser = argparse.ArgumentParser(description=doc.strip().split('\n')[0])
    parser.add_argument(
        '--ours', action='store_true',
        help="print the layer table with nolearn_capacity's PrintLayerInfo")
    args = parser.parse_args()
    if args.ours:
        from nolearn_capacity import compat
        ours = compat.use_nolearn_capacity_layer_info()
        net.on_training_started[:] = [
            ours() if type(handler).__name__ == 'PrintLayerInfo' else handler
            for handler in net.on_training_started]
    return args


def random_images(n, shape, seed=42):
    """``n`` random images of ``shape`` (channels, rows, columns), float32
    in [0, 1): the examples show the table and one epoch, not accuracy."""
    rng = np.random.RandomState(seed)
    return rng.rand(n, *shape).astype(np.float32)


def random_targets(n, num_units, seed=43):
    """Regression targets in [-1, 1), float32, shape (n, num_units)."""
    rng = np.random.RandomState(seed)
    return rng.uniform(-1, 1, size=(n, num_units)).astype(np.float32)


def print_layer_info(net):
    """Build the layers and print the table nolearn prints when training
    starts (its PrintLayerInfo handler, or ours after ``--ours``)."""
    net.initialize_layers()
    for handler in net.on_training_started:
        if type(handler).__name__ == 'PrintLayerInfo':
            handler(net)
