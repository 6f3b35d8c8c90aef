"""Registrations (RSVPs): the rules of registering, cancelling and the waiting list
(``services``), the seats they count (``seats``), their emails (``emails``), and the
organiser's management of them (``management``)."""
