"""The hardware abstraction: the typed interfaces the station needs (``interfaces``,
``events``, and ``ev_link``, what an EV link tells a hardware power stage), the bridge to the
Rust power stage (``power_bridge``, ``power_port``, ``power_supervision``), the simulator
(``sim``, its EVs and cabinet on that stage) and the device set composed from the station
file's ``[devices]`` tables (``devices``, the hardware power stage and the EV link's socket
among them)."""
