"""gedsae — GED (gestion électronique de documents) for French public bodies."""

__version__ = "0.1.0.dev0"
