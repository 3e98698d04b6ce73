"""Co-occurrence matrices: the in-memory Cooccurrence and the out-of-core BlockedCooccurrence."""
