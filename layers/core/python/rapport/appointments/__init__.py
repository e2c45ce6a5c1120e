"""Appointments: staff meeting a customer at a time, without double-booking anyone."""
