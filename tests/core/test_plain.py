"""Record classes without dataclasses: what the package relies on."""
import copy
import pickle

import pytest

from nolearn_capacity import plain


@plain.record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: list = plain.field(default_factory=list)

    def __post_init__(self):
        if self.x < 0:
            raise ValueError("x below 0")


@plain.record
class Box:
    size: int = 1


def test_fields_by_position_keyword_and_default():
    assert Point(1, 2) == Point(x=1, y=2) == Point(1, y=2)
    assert Point(3).y == 0 and Point(3).tags == []
    assert Point(3).tags is not Point(3).tags    # a fresh list each time
    assert Point.__slots__ == ("x", "y", "tags")
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"


def test_equality_needs_the_same_class_and_values():
    assert Point(1) != Point(2) and Point(1) != Box(1)
    assert Box(2) == Box(2) and Box(1) != Box(2)


def test_frozen_records_refuse_changes_and_hash_by_value():
    point = Point(1, 2, ())
    with pytest.raises(AttributeError, match="cannot assign to field 'x'"):
        point.x = 5
    with pytest.raises(AttributeError):
        del point.y
    assert hash(point) == hash(Point(1, 2, ()))
    box = Box()
    box.size = 4
    assert box.size == 4
    with pytest.raises(TypeError):
        hash(box)


@pytest.mark.parametrize("make, message", [
    (lambda: Point(), "missing 1 required positional argument: 'x'"),
    (lambda: Point(1, x=2), "got multiple values for argument 'x'"),
    (lambda: Point(1, z=2), "got an unexpected keyword argument 'z'"),
    (lambda: Point(1, 2, 3, 4), "takes from 2 to 4 positional arguments "
                                "but 5 were given"),
])
def test_bad_arguments_are_type_errors(make, message):
    with pytest.raises(TypeError) as error:
        make()
    assert str(error.value) == "Point.__init__() " + message


def test_post_init_runs_on_construction_replace_and_unpickling():
    with pytest.raises(ValueError, match="x below 0"):
        Point(-1)
    point = Point(1, 2, (3,))
    assert plain.replace(point, y=5) == Point(1, 5, (3,))
    with pytest.raises(ValueError):
        plain.replace(point, x=-1)
    assert pickle.loads(pickle.dumps(point)) == point
    assert copy.copy(point) == point and copy.deepcopy(Box(3)) == Box(3)
