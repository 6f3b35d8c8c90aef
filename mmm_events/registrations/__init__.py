"""Registrations (RSVPs): registering and changing one's details (``services``), cancelling
and the waiting list (``status``), the seats they count (``seats``, and ``flask doctor`` in
``cli``), their emails, calendar file and check-in code (``emails``, ``calendar``, ``ticket``),
the person's manage link (``views``), and the organiser's side: the list, exports, check-in
and messages to registrants (rules in ``management`` and ``messages``, pages in ``manage/``)."""
