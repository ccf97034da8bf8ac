"""What a participant's phone sees: open a slip, fill the ballot, review, confirm."""
