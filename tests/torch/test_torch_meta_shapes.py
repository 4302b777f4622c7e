"""The output shapes the meta walk computes instead of running torch's meta
kernels: equal to torch's (shape, dtype and strides), and left to torch
(None) wherever torch would do something else or raise."""
import copy

import pytest

torch = pytest.importorskip("torch")

import torch.nn as nn  # noqa: E402

from nolearn_capacity.adapters import torch as adapter  # noqa: E402
from nolearn_capacity.errors import BadShapeError  # noqa: E402


def meta(shape, dtype=torch.float32):
    return torch.zeros(shape, dtype=dtype, device="meta")


def described(tensor):
    return tuple(tensor.shape), tensor.dtype, tensor.stride()


MODULE_CASES = [
    (nn.Conv2d(3, 8, 3), (1, 3, 9, 9)),
    (nn.Conv2d(4, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1),
               groups=2, bias=False), (2, 4, 11, 13)),
    (nn.Conv2d(3, 3, 4, padding="same", dilation=2), (1, 3, 10, 7)),
    (nn.Conv1d(2, 5, 4, stride=3, padding="valid"), (3, 2, 17)),
    (nn.Conv3d(2, 4, 3, stride=2, padding=1), (1, 2, 5, 6, 7)),
    (nn.Conv2d(8, 8, 3, padding=1, groups=8), (1, 8, 1, 1)),
    (nn.AdaptiveAvgPool2d(1), (1, 5, 7, 7)),
    (nn.AdaptiveAvgPool2d((None, 3)), (2, 5, 9, 6)),
    (nn.AdaptiveAvgPool1d(4), (1, 3, 8)),
    (nn.AdaptiveAvgPool3d((2, 1, 3)), (1, 2, 4, 5, 6)),
    (nn.Linear(5, 7), (2, 3, 5)),
    (nn.Linear(5, 7, bias=False), (4, 5)),
]


@pytest.mark.parametrize("module,shape", MODULE_CASES)
def test_module_shapes_are_torchs(module, shape):
    module = copy.deepcopy(module).to("meta")
    x = meta(shape)
    computed = adapter.MODULE_VALUES[type(module)](module, x)
    assert computed is not None
    assert described(computed) == described(module(x))


@pytest.mark.parametrize("module,shape", MODULE_CASES)
def test_module_shapes_with_the_modules_own_weights(module, shape):
    # the working copy holds the module's own (real) tensors until code
    # runs on them: a shape needs only theirs
    x = meta(shape)
    computed = adapter.MODULE_VALUES[type(module)](module, x)
    assert computed is not None
    assert described(computed) == described(
        copy.deepcopy(module).to("meta")(x))


@pytest.mark.parametrize("module,x", [
    (nn.Conv2d(3, 8, 3), meta((1, 4, 9, 9))),            # channels
    (nn.Conv2d(3, 8, 5), meta((1, 3, 4, 9))),            # kernel > input
    (nn.Conv2d(3, 8, 3), meta((3, 9, 9))),               # unbatched
    (nn.Conv2d(3, 8, 3), meta((1, 3, 9, 9), torch.float64)),
    (nn.Conv2d(3, 8, 3, padding=1, padding_mode="reflect"),
     meta((1, 3, 9, 9))),
    (nn.Conv2d(3, 8, 3), torch.zeros(1, 3, 9, 9)),       # not meta
    (nn.Linear(5, 7), meta((2, 4))),
    (nn.AdaptiveAvgPool2d(1), meta((1, 5, 7))),
    (nn.AdaptiveAvgPool2d(1), meta((1, 5, 7, 7)).permute(0, 2, 3, 1)),
])
def test_module_shapes_left_to_torch(module, x):
    module = copy.deepcopy(module).to("meta")
    assert adapter.MODULE_VALUES[type(module)](module, x) is None


def contiguous_last(shape):
    return meta(shape).to(memory_format=torch.channels_last)


FUNCTION_CASES = [
    ("add", (meta((1, 4, 5, 5)), meta((1, 4, 5, 5))), {}),
    ("mul", (meta((2, 4, 5, 5)), meta((2, 4, 1, 1))), {}),
    ("mul", (meta((2, 4, 1, 1)), meta((2, 4, 5, 5))), {}),
    ("sub", (meta((1, 3, 4)), 2.5), {}),
    ("div", (meta((1, 3, 4), torch.float64), 3), {}),
    (torch.add, (meta((4, 5)), meta((5,))), {}),
    ("mul", (meta((1, 3, 4, 4)), meta((1, 3, 4, 4))), {}),
    (torch.cat, ([meta((1, 2, 3, 3)), meta((1, 5, 3, 3))], 1), {}),
    (torch.cat, ([meta((1, 2, 3)), meta((1, 2, 4))],), {"dim": -1}),
    (torch.cat, ((meta((2, 3)), meta((4, 3))),), {}),
    ("mean", (meta((1, 8, 7, 7)), [2, 3]), {}),
    ("mean", (meta((1, 8, 7, 7)), (-1, -2), True), {}),
    (torch.mean, (meta((2, 8, 7, 7)), 1), {"keepdim": True}),
    ("contiguous", (meta((1, 2, 3, 4)).transpose(1, 2),), {}),
    ("contiguous", (meta((2, 3)),), {}),
]


def run(target, args, kwargs):
    if isinstance(target, str):
        return getattr(args[0], target)(*args[1:], **kwargs)
    return target(*args, **kwargs)


@pytest.mark.parametrize("target,args,kwargs", FUNCTION_CASES)
def test_function_shapes_are_torchs(target, args, kwargs):
    computed = adapter.FUNCTION_VALUES[target](args, kwargs)
    assert computed is not None
    assert described(computed) == described(run(target, args, kwargs))


@pytest.mark.parametrize("target,args,kwargs", [
    ("add", (meta((1, 4, 5)), meta((1, 3, 5))), {}),
    ("add", (meta((1, 4, 5), torch.int64), 1), {}),
    ("add", (meta((1, 4, 5)), meta((1, 4, 5), torch.float64)), {}),
    ("add", (meta((4, 1)), meta((1, 5))), {}),     # neither full
    ("mul", (contiguous_last((1, 3, 4, 4)), meta((1, 3, 1, 1))), {}),
    (torch.add, (meta((4, 5)), meta((4, 5))), {"alpha": 2}),
    ("add", (3, 4), {}),
    (torch.cat, ([meta((1, 2, 3)), meta((1, 3, 4))], 1), {}),
    (torch.cat, ([contiguous_last((1, 2, 3, 3)), meta((1, 2, 3, 3))], 1),
     {}),
    ("mean", (meta((1, 8, 7, 7)), [2, -2]), {}),
    ("mean", (meta((1, 8, 7, 7)),), {}),
    ("mean", (meta((1, 8, 7, 7), torch.int64), [2, 3]), {}),
    ("contiguous", (meta((1, 2, 3, 4)),),
     {"memory_format": torch.channels_last}),
    ("contiguous", (torch.zeros(2, 3).t(),), {}),
])
def test_function_shapes_left_to_torch(target, args, kwargs):
    assert adapter.FUNCTION_VALUES[target](args, kwargs) is None


def test_a_module_with_a_hook_runs():
    seen = []
    net = nn.Sequential(nn.Conv2d(3, 4, 3))
    net[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    shapes = [r.output_shape for r in adapter.network_of(
        net, (1, 3, 8, 8)).layers]
    assert shapes == [(1, 3, 8, 8), (1, 4, 6, 6)]
    assert seen == [(1, 4, 6, 6)]   # on the meta copy, not on `net`'s run


def test_a_conv_torch_rejects_is_still_a_bad_shape():
    with pytest.raises(BadShapeError, match="channels"):
        adapter.network_of(nn.Sequential(nn.Conv2d(3, 4, 3)), (1, 5, 8, 8))
