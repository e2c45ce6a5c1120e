"""Accounts: the companies a tenant does business with."""
