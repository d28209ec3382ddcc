"""The station: orchestration of one charge point, its connectors and configuration keys."""
