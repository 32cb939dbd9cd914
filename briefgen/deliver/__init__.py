"""Getting documents to people: recipients, messages, channels, and the exactly-once ledger."""
