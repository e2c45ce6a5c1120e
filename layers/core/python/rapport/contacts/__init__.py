"""Contacts: the people a tenant deals with, optionally at an account."""
