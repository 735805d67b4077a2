"""The example feature: apis → services | selectors → models (HackSoftware's Django styleguide)."""
