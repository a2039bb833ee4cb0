"""fwkit: tokenize web-scale text into GPT-2 shards in memory that does not grow with the input."""

__version__ = "0.1.0"
