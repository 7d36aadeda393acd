"""The one error a flood snapshot raises, in its own module so every checker can raise it."""


class FloodSourceError(ValueError):
    """A flood snapshot that cannot be used; the message names the source and the problem, in one line."""
