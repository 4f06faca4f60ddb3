"""HTTP routes, one module per concern; each exposes `setup(app)`."""
