"""Use cases: one function per action, receiving its ports as arguments."""
