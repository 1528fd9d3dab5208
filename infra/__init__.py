"""Rupaya infrastructure tooling: the `infra` command and the library behind it."""
