"""The reliability suite: ``make stress`` (``python -m tests.stress.run``)."""
