"""credo-exoplanet: transit and radial-velocity models for credo."""
