"""The append-only audit log (A21, A22) and complaints and appeals (检举、申诉)."""
