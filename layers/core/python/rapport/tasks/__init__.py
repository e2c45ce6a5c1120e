"""Tasks: what someone has to do next, by when, for which customer."""
