"""The ``leads`` command line: search, status, sandbox and demo."""
