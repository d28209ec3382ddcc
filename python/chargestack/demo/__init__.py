"""``chargestack demo``: a local central system and a simulated DC charger, talking OCPP."""
