"""Benchmarks of the kit: ``python -m bench`` runs every ``bench_*.py`` module here."""
