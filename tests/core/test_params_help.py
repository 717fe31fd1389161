"""`multitag backends NAME` shows each parameter's first sentence whole, never cut mid-sentence."""
import pytest

from multitag import registry
from multitag.params import param_infos, parse_parameter_docs


def test_a_semicolon_inside_parentheses_does_not_end_the_sentence():
    doc = """X.

    Parameters
    ----------
    features : {"rich", "paper"}
        The feature set: ``rich`` (default; shapes, a +-2 window) or ``paper``
        (paper 001, appendix B). More text.
    c1 : float
        L1 strength; see the paper.
    """
    got = parse_parameter_docs(doc)
    assert got["features"] == "The feature set: ``rich`` (default; shapes, a +-2 window) or ``paper`` (paper 001, appendix B)."
    assert got["c1"] == "L1 strength"


@pytest.mark.parametrize("name", sorted(registry.available()))
def test_every_installed_backends_parameter_help_is_whole(name):
    for info in param_infos(registry.resolve(name).cls):
        text = info.doc or ""
        assert text.count("(") == text.count(")"), (name, info.name, text)
        assert text.count("``") % 2 == 0, (name, info.name, text)
