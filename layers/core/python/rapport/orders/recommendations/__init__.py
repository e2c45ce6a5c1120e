"""Recommendations: the products that customers who bought what a contact bought also bought (the design: its
`service`)."""
