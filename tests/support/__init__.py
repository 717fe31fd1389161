"""Test support: a real Label Studio server (:mod:`support.labelstudio`) and headless Debian
Chromium through Playwright (:mod:`support.browser`).

``pytest.ini`` puts ``tests/`` on ``sys.path`` (``pythonpath = tests``), so a test module anywhere
under ``tests/`` uses these fixtures with::

    pytest_plugins = ("support.labelstudio", "support.browser")

(The package cannot be imported as ``tests.support``: flair installs a top-level ``tests``
package into site-packages, which wins over this repository's namespace folder.)
"""
import pytest

# Imported both as plugins and by test modules: let pytest rewrite their asserts either way.
pytest.register_assert_rewrite("support.labelstudio", "support.browser")
