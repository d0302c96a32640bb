"""Logins: users, password hashes, sessions and the login rate limit (issue 6)."""
