"""sestui: a terminal monitoring console for Amazon SES."""

__version__ = "0.1.0"
