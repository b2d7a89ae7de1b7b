"""Events: the outbox, the Events API, the dashboard timeline and the audit log at once."""
