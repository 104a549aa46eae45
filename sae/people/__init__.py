"""People of the repository: archivists and readers who log in to its pages as people (local
accounts with argon2id, or OpenID Connect), while applications (the GEDs) keep their tokens.

``accounts``: creating a person, setting a password, disabling an account (each in the journal);
``login``: the kernel's login flows (``kernel.accounts.login``) bound to the repository's
database (``PeopleRepository``) and journal.
"""
