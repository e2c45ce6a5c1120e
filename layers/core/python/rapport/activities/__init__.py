"""Activities: what happened with a customer (calls, emails, meetings, notes ...), and each record's timeline."""
