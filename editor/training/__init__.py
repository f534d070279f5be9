"""Training of the project's networks (CRA §3.5): losses, discriminators, data, the trainer and the
``inpaint-studio train`` command. Never imported by the app; the CLI imports it lazily for ``train``."""
