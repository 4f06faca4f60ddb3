"""Sub-commands of `pishkhan`."""
