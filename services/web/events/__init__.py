"""Events app: earthquakes, floods and their reports."""
