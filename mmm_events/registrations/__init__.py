"""Registrations (RSVPs): registering and changing one's details (``services``), cancelling
and the waiting list (``status``), the seats they count (``seats``, and ``flask doctor`` in
``cli``), their emails and check-in code (``emails``, ``ticket``), and the organiser's
management of them (``management``)."""
