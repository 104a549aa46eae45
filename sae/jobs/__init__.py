"""The repository's background work — the checks of a received transfer, the seals of each
tenant's log, the audits of its offers — run in the serving process (the embedded default), or
as jobs of a queue in PostgreSQL that worker processes share (``[jobs] queue = "postgresql"``):
``sae.jobs.queue`` chooses, ``sae.jobs.tasks`` says what each job does, ``sae.jobs.worker``
runs them.
"""
