"""Lead assignment: territory rules, weighted round robin under capacity, first contact, SLA reassignment."""
