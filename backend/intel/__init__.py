"""intel domain."""
