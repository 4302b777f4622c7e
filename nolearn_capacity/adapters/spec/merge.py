"""Builders for Lasagne's ``merge`` module: concatenation and elementwise
merges, with Lasagne's cropping."""
from ...errors import shown
from .arguments import axis_index, need
from .base import builder


def _autocrop(shapes, cropping):
    """Lasagne's ``autocrop_array_shapes``: the cropped axes take the
    smallest size (None if any is None)."""
    if cropping is None:
        return shapes
    modes = list(cropping) + [None] * (len(shapes[0]) - len(cropping))
    columns = []
    for sizes, mode in zip(zip(*shapes), modes):
        if mode is None:
            columns.append(sizes)
        elif mode in ("lower", "center", "upper"):
            smallest = None if None in sizes else min(sizes)
            columns.append((smallest,) * len(sizes))
        else:
            raise ValueError("cropping mode {} should be None, 'lower', "
                             "'center' or 'upper'".format(shown(mode)))
    return [tuple(shape) for shape in zip(*columns)]


@builder("ConcatLayer", "ElemwiseSumLayer", "ElemwiseMergeLayer")
def _merge(cls, kw, shapes):
    ndim = len(shapes[0])
    if any(len(shape) != ndim for shape in shapes):
        raise ValueError("inputs have different numbers of axes: {}".format(
            ", ".join(str(shape) for shape in shapes)))
    cropping = kw.pop("cropping", None)
    attrs, axis = {}, None
    if cls == "ConcatLayer":
        attrs["axis"] = kw.pop("axis", 1)
        axis = axis_index(attrs["axis"], ndim)
        if cropping is not None:    # never crop the concatenation axis
            cropping = list(cropping) + [None] * (ndim - len(cropping))
            cropping[axis] = None
    elif cls == "ElemwiseSumLayer":
        coeffs = kw.pop("coeffs", 1)
        if not isinstance(coeffs, list):
            coeffs = [coeffs] * len(shapes)
        elif len(coeffs) != len(shapes):
            raise ValueError("{} coeffs for {} inputs".format(
                len(coeffs), len(shapes)))
        attrs["coeffs"] = coeffs
    else:
        attrs["merge_function"] = need(kw, "merge_function")
    attrs["cropping"] = cropping
    shapes = _autocrop(shapes, cropping)
    out = [next((s for s in sizes if s is not None), None)
           for sizes in zip(*shapes)]
    for shape in shapes:
        if not all(i == axis or a is None or b is None or a == b
                   for i, (a, b) in enumerate(zip(shape, out))):
            raise ValueError("input shapes {} differ{}".format(
                ", ".join(str(s) for s in shapes),
                "" if axis is None else " outside axis {}".format(axis)))
    if axis is not None:
        sizes = [shape[axis] for shape in shapes]
        out[axis] = None if None in sizes else sum(sizes)
    return attrs, tuple(out), 0
