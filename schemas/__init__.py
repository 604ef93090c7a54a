"""JSON Schemas shipped with hubguard (data)."""
