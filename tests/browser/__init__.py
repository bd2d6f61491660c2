"""Browser tests (a package, so that `from conftest import ...` still finds tests/conftest.py)."""
