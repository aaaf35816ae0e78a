"""The team's rules: who may do what, codes, audit, notices. Never imports `telegram`."""
