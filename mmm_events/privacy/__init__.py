"""Personal data: consent, self-service and administrator export and erasure, retention and
the record of processing; its organiser pages in ``manage.py``.

The keyed hash of an address lives in ``addresses`` and the audit log in ``audit``: every
feature writes to them, so they sit on a lower floor than this package.
"""
