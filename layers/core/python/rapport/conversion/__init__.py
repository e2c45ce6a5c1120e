"""Converting a lead: the contact, account and deal it becomes, in ONE transaction.

The lead links to what already exists instead of making duplicates: the contact that holds its email, the
account of that contact or the one whose domain is the email's (not for free-mail domains), or the ids given.
Existing records only get the lead's values for fields they lack. The lead's interactions move into the
contact's timeline. Everything — the lead closing as converted, new records with their guards, filled fields,
the deal with its summaries, the copied interactions — commits together or not at all.

Conversions of one lead at once: the lead is written over the version read, so one commits and the others are
read again and answer 409 naming the contact it became. A conversion that met another change (a contact taking
the lead's email meanwhile, a linked record edited) is planned again from fresh reads, a few times at most.

A process above the contexts it joins (leads, contacts, accounts, deals, activities), not part of any: none of
them depends on another through it.
"""
