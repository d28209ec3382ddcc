"""The hardware abstraction: typed interfaces the station needs, and their drivers (``sim``)."""
