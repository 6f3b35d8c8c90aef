"""The organiser's own questions on the RSVP form: shown and checked here (``answers``,
``shown``), places of limited choices (``places``), the organiser's editor (``manage``)."""
