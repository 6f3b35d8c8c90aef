"""Email invitations: invitee lists, the invitation email, answering, reminders, unsubscribe;
the invitee's pages in ``views``, the organiser's (import, send, remind, funnel) in ``manage``."""
