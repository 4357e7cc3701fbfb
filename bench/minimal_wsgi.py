"""The minimal endpoint as the servers import it (its settings come from the environment)."""

from bench.minimal_app import create_app

app = create_app()
