"""Campaigns: a message to the contacts of segments, sent once each, at a pace SES allows, as consent allows."""
