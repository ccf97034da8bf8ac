"""Composite scores and grades (form 6), the team's decisions, the A15 approval chain."""
