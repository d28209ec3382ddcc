"""Running chargestack on a charger controller: the boot step that starts the installed
slot, the process restart after a firmware installation, systemd's notify protocol and the
firmware image builder (``chargestack firmware build-image``)."""
