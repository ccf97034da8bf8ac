"""The signed-in staff's home and the overview of one assessment."""
