"""Counties, their yearly assessments and the assessed members (SPEC "People and objects")."""
