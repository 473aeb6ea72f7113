"""demo domain."""
