"""Paper ballots entered by the team into an evaluation's encrypted box (SPEC "Ballots")."""
