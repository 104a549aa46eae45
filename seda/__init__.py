"""SEDA 2.1 / 2.2 / 2.3 library: build, parse and validate messages and SIP packages."""
