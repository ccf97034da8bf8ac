"""Evaluations (民主测评, 个别谈话): slips, ballots, closing and the vote tally."""
