"""Named accounts, roles, sign-in and access checks."""
