"""One router per area of the repository's pages."""
