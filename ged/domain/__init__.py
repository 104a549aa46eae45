"""The GED domain: plain classes and rules, no I/O. Imports nothing but itself."""
