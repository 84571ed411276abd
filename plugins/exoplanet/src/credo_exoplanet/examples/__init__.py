"""Runnable examples of credo-exoplanet on the shipped data (``credo run-example NAME``)."""
