"""Orders: what customers bought, from the back office or staff, and the customer value they add up to."""
