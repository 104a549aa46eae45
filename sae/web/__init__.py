"""The repository's own web pages, in French, for its archivists and readers: the queue of
received transfers, the review screen and its decision. The machinery (sessions, CSRF, login
pages, base layout, French error pages) is the kernel's (``kernel.web``), as in the GED."""
