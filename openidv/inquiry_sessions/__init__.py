"""Inquiry sessions (`iqse_`), their JWT session tokens and one-time links."""
