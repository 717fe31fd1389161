"""multitag: active learning for sequence tagging.

Importing this package never imports torch or any backend library; backends are found through the
``multitag.backends`` entry-point group and imported only when used.
"""
from multitag.errors import CompatibilityError, DataError, MultitagError

__version__ = "0.1.0"

__all__ = ["MultitagError", "DataError", "CompatibilityError", "__version__"]
