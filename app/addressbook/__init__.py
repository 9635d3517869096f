"""The address book behind ``/addresses``: schemas, service and storage.

``schemas`` says what an entry is, ``service`` is what can be done with
entries (no HTTP), ``storage`` is the table and its queries. The HTTP side
lives in ``app/blueprints/addresses.py``.
"""
