"""OCPP 1.6 feature profiles, each a package (or module) of blocks with its handlers.

``core`` is always there; ``smart_charging``, ``reservation``, ``local_auth``, ``trigger``
and ``firmware`` are the optional feature profiles, ``security`` the whitepaper's extension.
The profile packages do not import each other: an optional profile plugs into Core through
the protocols of ``chargestack.station.extension_points``, and the composition root
(``chargestack.assembly``) builds every block and wires them. A profile the station file
does not offer gets the answers the specification gives for an unsupported profile
(``not_offered``); its other actions are answered with the CALLERROR NotSupported (OCPP-J
1.6 section 4.2.3: recognised but not supported).
"""
