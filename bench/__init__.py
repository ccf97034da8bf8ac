"""The meeting benchmark (``python -m bench.meeting``): never imported by the product."""
