"""Email invitations: invitee lists, the invitation email, answering, reminders, unsubscribe."""
