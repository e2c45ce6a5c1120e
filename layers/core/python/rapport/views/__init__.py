"""Read models above the bounded contexts: views that read what several contexts keep, each through its own parts."""
