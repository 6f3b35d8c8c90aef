"""Papers for the door: badges and the printed door list of an event, as PDFs.

``pdf.py`` turns a template of ``templates/documents/pdf/`` into a PDF; ``badges.py`` and
``doorlist.py`` say who is on them and in which order; ``manage.py`` holds the organiser's
pages.
"""
