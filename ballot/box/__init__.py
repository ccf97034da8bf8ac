"""The published ballot box: downloads, the public link, a voter's tracker look-up."""
