"""The station: one charge point's orchestration, below the profiles.

``station.Station`` owns the lifecycle of its blocks (``block.Block``), its connectors and
their status, registration and the link; ``extension_points`` are where optional profiles
plug into Core, ``ports`` the narrow faces of a station that blocks take. The composition
root (``chargestack.assembly``) gives a Station its blocks; nothing here imports a profile.
"""
