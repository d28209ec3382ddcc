"""The file machinery that the Firmware Management profile and the security whitepaper share.

- ``context``: what a file job takes from its station (narrow collaborators, never the
  Station); ``errors``: the transfer and installation errors.
- ``locations``: remote locations checked before use; ``transfer`` with ``http_transfer``
  and ``ftp_transfer``: downloads (resumed) and uploads with retries and a size limit.
- ``file_jobs``: persisted jobs of one kind and their status ``notifier``;
  ``install_flow``: a firmware job from download to confirmed boot (UpdateFirmware,
  SignedUpdateFirmware); ``upload_job``: collect, upload, notify (GetDiagnostics, GetLog).
- ``collector``: the diagnostics archive; ``logfiles``: the station's own rotating logs.
- ``installer`` (the interface and the simulated A/B slots), ``venv_installer``,
  ``command_installer``, ``installers`` (the one the station file names), ``image`` (the
  firmware image and its manifest) and ``slots`` (the boot record).
"""
