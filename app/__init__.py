"""The application: search, replay, the CLI and the pytest plugin, on top of the layers.

Everything here is internal (modules are ``_private``) except the two entry points named
in ``pyproject.toml`` (``ackcheck.app.cli`` and ``ackcheck.app.pytest_plugin``) and
``python -m ackcheck.app.corpus``. Users import the public API from ``ackcheck``; see
docs/contracts.md. Kept empty so that the pytest plugin stays cheap to import.
"""
