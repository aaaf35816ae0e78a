"""The store: models, repositories, the database and the encryption of secrets. No rules."""
