"""The four non-ballot inputs: P and T per county, L (form 4) and H (form 5) score sheets."""
