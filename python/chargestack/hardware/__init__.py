"""The hardware abstraction: the typed interfaces the station needs (``interfaces``,
``events``), the bridge to the Rust power stage (``power_bridge``, ``power_port``,
``power_supervision``), the simulator (``sim``, its EVs and cabinet on that stage) and the
device set composed from the station file's ``[devices]`` tables (``devices``)."""
