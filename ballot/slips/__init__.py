"""Slip credentials: making them, hashing them, printing them as QR slips."""
