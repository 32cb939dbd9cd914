"""The workspace's state database, shared by the delivery ledger and the schedule."""
