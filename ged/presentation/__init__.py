"""What people read: the French words for the codes of the domain, dates and sizes, shared by
the command line, the web pages and the printed slips. Pure functions, no I/O."""
