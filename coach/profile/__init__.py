"""People and their readings: models live in coach.models, storage here."""
