"""The seed's MNIST net trained for one epoch by nolearn, saved with
save_params_to, ported by the command line: the same probabilities."""
import io
import runpy

import numpy as np
import torch

from nolearn_capacity import cli
from nolearn_capacity.port import to_torch

SCRIPT = "legacy_examples/train_mnist_tutorial.py"


def test_trained_mnist_tutorial_port_predicts_the_same(tmp_path):
    import lasagne
    from lasagne.updates import nesterov_momentum
    from nolearn.lasagne import NeuralNet
    namespace = runpy.run_path(SCRIPT, run_name="not_main")
    lasagne.random.set_rng(np.random.RandomState(42))
    X, y = namespace["load_data"]()
    net = NeuralNet(layers=namespace["layers0"], update=nesterov_momentum,
                    update_learning_rate=0.01, update_momentum=0.9,
                    max_epochs=1, verbose=0)
    net.fit(X, y)
    params = tmp_path / "params.pkl"
    net.save_params_to(str(params))

    module = tmp_path / "mnist_port.py"
    out = io.StringIO()
    status = cli.main(["port", SCRIPT + ":layers0", "-o", str(module),
                       "--weights", str(params), "--check"], stdout=out)
    assert status == 0, out.getvalue()
    assert "122154 parameters" in out.getvalue()
    assert "dense11: shape (2, 10)" in out.getvalue()
    assert "check passed" in out.getvalue()

    port = runpy.run_path(str(module))
    model = port["Net"]()
    model.load_state_dict(torch.load(str(tmp_path / "mnist_port.pt")))
    model.eval()
    with torch.no_grad():
        got = model(torch.from_numpy(X[:50])).numpy()
    expected = net.predict_proba(X[:50])
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert (got.argmax(1) == net.predict(X[:50])).all()

    # the live net, in Python: the same weights without a file
    live = to_torch(net).module()
    with torch.no_grad():
        np.testing.assert_allclose(live(torch.from_numpy(X[:50])).numpy(),
                                   expected, rtol=1e-4, atol=1e-6)
