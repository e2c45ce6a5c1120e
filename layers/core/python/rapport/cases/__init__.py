"""Cases: a customer's complaint, return, question or problem, handled by staff until it is resolved."""
