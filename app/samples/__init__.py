"""The kit's samples: each folder is one feature to learn from, then remove.

``make strip-samples`` removes them all (code, tests, settings, migrations,
docs and Makefile lines); removing one by hand is deleting its folder and its
line in ``app.FEATURES``.
"""
