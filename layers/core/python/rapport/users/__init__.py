"""Staff user profiles: how to reach a rep, their team, capacity and availability."""
