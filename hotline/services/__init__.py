"""The domain: what the hotline does, in functions of (session, …, now); channels word it."""
