"""The text format's own table equals tabulate's 'simple' table."""
from tabulate import tabulate

from nolearn_capacity import render

CASES = [
    (["#", "name", " class "], [["0", "x", "Input"], ["12", " a b ", ""]]),
    (["h", " k"], [[" a ", "b"], ["", "x  y"]]),
    (["long header", "c"], [["", ""], ["1", "22"]]),
    (["a"], [["\\x1b[31m"], ["tab\\tname"]]),
    # cells are padded by a format string: braces in them stay text
    (["{0}", "}"], [["{x}", "{{"], ["{:>9}", ""]]),
]


def test_simple_table_is_tabulates():
    for headers, body in CASES:
        assert render._simple_table(headers, body) == tabulate(
            body, headers, tablefmt="simple", disable_numparse=True)
