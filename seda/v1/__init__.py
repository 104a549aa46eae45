"""SEDA 1.0 (`fr:gouv:culture:archivesdefrance:seda:v1.0`, SIAF 2012): the messages As@lae and
Pastell profiles still exchange. Its vocabulary (Archive / ArchiveObject / Document, code lists
of access restrictions and appraisal) differs from 2.x, so it lives here, fed by the same 2.x
model the GED builds for every version."""
