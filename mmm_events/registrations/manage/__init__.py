"""The organiser's side of registrations: the registrant list and each registration, approving
or declining them, the exports, check-in at the door, and messages to registrants. Each
module adds its routes to the organiser blueprint when imported (``create_app`` imports this
package)."""

from . import approval, checkin, door, exports, messages, registrants

__all__ = ["approval", "checkin", "door", "exports", "messages", "registrants"]
