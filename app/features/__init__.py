"""Your own features: one folder each, listed in ``app.FEATURES``.

``make new-resource name=orders`` writes a CRUD resource here, with its
storage, migration, tests and docs; a feature has the same shape as a sample
in ``app/samples/`` (see ``app.core.features.Feature``).
"""
